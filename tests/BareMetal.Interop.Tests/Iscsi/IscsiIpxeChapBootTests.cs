using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>
/// iPXE (Debian's ipxe-qemu ROM, git 36a4c85 of 2019) sanboots a CHAP target under QEMU TCG, with its
/// credentials set from the boot script as a node's script sets them: <c>username</c>/<c>password</c>
/// (one-way), plus <c>reverse-username</c>/<c>reverse-password</c> (mutual: iPXE then offers
/// AuthMethod=CHAP only, challenges us, and checks our answer). A wrong secret ends in iPXE's
/// "Operation not permitted" (initiator authentication failed) on the console and no block read.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class IscsiIpxeChapBootTests
{
    private const string User = "node-a";
    private const string Secret = "initiator-secret-1";
    private const string TargetUser = "baremetal";
    private const string TargetSecret = "target-secret-22";
    private const string Failed = "BAREMETAL-SANBOOT-FAILED";

    private static string Credentials(string secret, bool mutual) =>
        $"set username {User}\nset password {secret}\n" + (mutual ? $"set reverse-username {TargetUser}\nset reverse-password {TargetSecret}\n" : "");

    [Test]
    [CancelAfter(180_000)]
    public async Task Ipxe_SanbootWithOneWayChap_RunsTheDisksBootSector()
    {
        using var dir = new TempDir("iscsi-ipxe-chap");
        using var exports = IscsiIpxeBootTests.BootExports(dir);
        var policy = new CountingAuthPolicy(new ChapSecrets(User, Secret));
        await using var target = IscsiTestTarget.Start(exports, auth: policy);
        var script = Credentials(Secret, mutual: false) + $"sanboot {IscsiIpxeBootTests.SanUri(target)} || echo {Failed} ${{errno}}\n";
        var (seen, log) = await IscsiIpxeBootTests.BootAsync(dir, script, "BAREMETAL-ISCSI-BOOT-OK");
        Assert.That(seen, Is.True, $"no marker within 120 s. serial:\n{log}");
        Assert.That(policy.Logins, Is.Positive);
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task Ipxe_SanbootWithMutualChap_RunsTheDisksBootSector()
    {
        using var dir = new TempDir("iscsi-ipxe-chap");
        using var exports = IscsiIpxeBootTests.BootExports(dir);
        await using var target = IscsiTestTarget.Start(exports, auth: new FixedChapPolicy(new ChapSecrets(User, Secret, TargetUser, TargetSecret)));
        var script = Credentials(Secret, mutual: true) + $"sanboot {IscsiIpxeBootTests.SanUri(target)} || echo {Failed} ${{errno}}\n";
        var (seen, log) = await IscsiIpxeBootTests.BootAsync(dir, script, "BAREMETAL-ISCSI-BOOT-OK");
        Assert.That(seen, Is.True, $"no marker within 120 s. serial:\n{log}");
    }

    /// <summary>iPXE really checks our mutual answer: a target whose mutual secret is not the script's reverse-password is refused by iPXE.</summary>
    [Test]
    [CancelAfter(180_000)]
    public async Task Ipxe_MutualChap_TargetAnsweringWithAnotherSecret_IsRefusedByIpxe()
    {
        using var dir = new TempDir("iscsi-ipxe-chap");
        using var exports = IscsiIpxeBootTests.BootExports(dir);
        await using var target = IscsiTestTarget.Start(exports, auth: new FixedChapPolicy(new ChapSecrets(User, Secret, TargetUser, "an-impostor-target-secret")));
        var script = Credentials(Secret, mutual: true) + $"sanboot {IscsiIpxeBootTests.SanUri(target)} || echo {Failed} ${{errno}}\n";
        var (seen, log) = await IscsiIpxeBootTests.BootAsync(dir, script, Failed);
        Assert.That(seen, Is.True, $"sanboot did not fail within 120 s. serial:\n{log}");
        TestContext.Out.WriteLine(log.Split('\n').FirstOrDefault(l => l.Contains("Could not open SAN device", StringComparison.Ordinal)) ?? "");
        Assert.That(log, Does.Contain("Permission denied"), "iPXE's EACCES_INCORRECT_TARGET_PASSWORD");
        Assert.That(log, Does.Not.Contain("BAREMETAL-ISCSI-BOOT-OK"));
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task Ipxe_SanbootWithWrongSecret_FailsWithInitiatorAuthenticationError_AndReadsNothing()
    {
        using var dir = new TempDir("iscsi-ipxe-chap");
        using var exports = IscsiIpxeBootTests.BootExports(dir);
        await using var target = IscsiTestTarget.Start(exports, auth: new FixedChapPolicy(new ChapSecrets(User, Secret)));
        var script = Credentials("not-the-secret-at-all", mutual: false) + $"sanboot {IscsiIpxeBootTests.SanUri(target)} || echo {Failed} ${{errno}}\n";
        var (seen, log) = await IscsiIpxeBootTests.BootAsync(dir, script, Failed);
        Assert.That(seen, Is.True, $"sanboot did not fail within 120 s. serial:\n{log}");
        TestContext.Out.WriteLine(log.Split('\n').FirstOrDefault(l => l.Contains("Could not open SAN device", StringComparison.Ordinal)) ?? "");
        // iPXE error 0x410d613c = EPERM (0x41 << 24) | ERRFILE_iscsi (0x000d6000) | uniq 1 << 8 | 0x3c: its
        // EPERM_INITIATOR_AUTHENTICATION, what it makes of our login status 0201 (src/net/tcp/iscsi.c).
        Assert.That(log, Does.Contain("Operation not permitted").And.Contain($"{Failed} 0x410d613c"));
        Assert.That(log, Does.Not.Contain("BAREMETAL-ISCSI-BOOT-OK"));
        Assert.That(exports.Export.Counters.Snapshot().BytesRead, Is.Zero, "a refused initiator reads nothing");
    }
}
