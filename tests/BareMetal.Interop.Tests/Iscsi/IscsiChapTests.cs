using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>
/// CHAP against libiscsi's tools (Debian libiscsi-bin 1.19): one-way with <c>user%secret@</c> in the
/// URL, mutual with <c>target_user</c>/<c>target_password</c>, and the refusals a client sees. After every
/// refusal the same server still takes a correct login, and the refused client read nothing.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class IscsiChapTests
{
    private const string User = "node-a";
    private const string Secret = "initiator-secret-1";
    private const string TargetUser = "baremetal";
    private const string TargetSecret = "target-secret-22";

    private static readonly ChapSecrets OneWay = new(User, Secret);
    private static readonly ChapSecrets Mutual = new(User, Secret, TargetUser, TargetSecret);

    private static async Task WithTarget(ChapSecrets secrets, Func<IscsiTestTarget, FileExportProvider, Task> body)
    {
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(4 * 1024 * 1024);
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path), readOnly: true, ["disk", "other"]);
        await using var target = IscsiTestTarget.Start(exports, auth: new FixedChapPolicy(secrets));
        await body(target, exports);
    }

    private static void AssertRefused(PeerResult r, FileExportProvider exports)
    {
        Assert.That(r.ExitCode, Is.Not.Zero, $"login should have failed: {r.StdOut}");
        Assert.That(r.StdErr + r.StdOut, Does.Contain("ogin").Or.Contain("uthenticat").IgnoreCase, r.StdErr);
        Assert.That(exports.Export.Counters.Snapshot().BytesRead, Is.Zero, "a refused initiator reads nothing");
    }

    [Test]
    public Task IscsiInq_OneWayChap_LogsIn() => WithTarget(OneWay, (target, _) =>
    {
        var inq = Peer.Require("iscsi-inq", "libiscsi-bin");
        Assert.That(Peer.Check(inq, target.ChapUrl("disk", User, Secret)), Does.Contain("BAREMETL"));
        return Task.CompletedTask;
    });

    [Test]
    public Task IscsiInq_WrongSecret_IsRefused_AndTheServerStillServes() => WithTarget(OneWay, (target, exports) =>
    {
        var inq = Peer.Require("iscsi-inq", "libiscsi-bin");
        var r = Peer.Run(inq, [target.ChapUrl("disk", User, "not-the-secret-at-all")], TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine($"wrong secret: exit {r.ExitCode}: {r.StdErr.Trim()}");
        AssertRefused(r, exports);
        var wrongUser = Peer.Run(inq, [target.ChapUrl("disk", "someone-else", Secret)], TimeSpan.FromSeconds(60));
        AssertRefused(wrongUser, exports);
        Assert.That(Peer.Check(inq, target.ChapUrl("disk", User, Secret)), Does.Contain("BAREMETL"));
        return Task.CompletedTask;
    });

    [Test]
    public Task IscsiInq_NoCredentials_ToAChapTarget_IsRefused() => WithTarget(OneWay, (target, exports) =>
    {
        var inq = Peer.Require("iscsi-inq", "libiscsi-bin");
        // Without credentials libiscsi skips the security stage altogether (starts in CSG=1).
        var r = Peer.Run(inq, [target.Url("disk")], TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine($"no credentials: exit {r.ExitCode}: {r.StdErr.Trim()}");
        AssertRefused(r, exports);
        return Task.CompletedTask;
    });

    [Test]
    public Task IscsiInq_MutualChap_LogsInAndLibiscsiChecksOurAnswer() => WithTarget(Mutual, (target, exports) =>
    {
        var inq = Peer.Require("iscsi-inq", "libiscsi-bin");
        Assert.That(Peer.Check(inq, target.ChapUrl("disk", User, Secret, TargetUser, TargetSecret)), Does.Contain("BAREMETL"));
        // libiscsi really verifies the target: expecting another target secret, it refuses our answer.
        var r = Peer.Run(inq, [target.ChapUrl("disk", User, Secret, TargetUser, "another-target-secret")], TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine($"initiator expects another target secret: exit {r.ExitCode}: {r.StdErr.Trim()}");
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.StdErr + r.StdOut, Does.Contain("CHAP_R").Or.Contain("uthenticat"));
        return Task.CompletedTask;
    });

    [Test]
    public Task IscsiInq_MutualAskedOfAOneWayTarget_IsRefused() => WithTarget(OneWay, (target, exports) =>
    {
        var inq = Peer.Require("iscsi-inq", "libiscsi-bin");
        var r = Peer.Run(inq, [target.ChapUrl("disk", User, Secret, TargetUser, TargetSecret)], TimeSpan.FromSeconds(60));
        AssertRefused(r, exports);
        return Task.CompletedTask;
    });

    [Test]
    public Task IscsiLs_DiscoveryWithChap_ListsTargets_AndWithoutIsRefused() => WithTarget(OneWay, (target, _) =>
    {
        var ls = Peer.Require("iscsi-ls", "libiscsi-bin");
        var output = Peer.Check(ls, "-s", $"iscsi://{User}%{Secret}@{target.Portal}");
        Assert.That(output, Does.Contain("Target:iqn.2026-11.dev.baremetal:disk").And.Contain("Target:iqn.2026-11.dev.baremetal:other").And.Contain("Lun:0"));
        var refused = Peer.Run(ls, ["-s", $"iscsi://{target.Portal}"], TimeSpan.FromSeconds(60));
        Assert.That(refused.ExitCode, Is.Not.Zero, refused.StdOut);
        Assert.That(refused.StdOut, Does.Not.Contain("Target:"));
        return Task.CompletedTask;
    });
}
