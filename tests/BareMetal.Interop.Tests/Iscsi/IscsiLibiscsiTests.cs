using System.Text.RegularExpressions;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>Our target against libiscsi's own tools (Debian libiscsi-bin) and qemu's libiscsi driver.</summary>
[TestFixture]
[NonParallelizable]
public sealed partial class IscsiLibiscsiTests
{
    private const int DiskSize = 32 * 1024 * 1024;

    internal static (TempDir Dir, string Path) RandomDisk(int size = DiskSize)
    {
        var dir = new TempDir("iscsi");
        var path = dir.File("disk.raw");
        var bytes = new byte[size];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return (dir, path);
    }

    [Test]
    public async Task IscsiInq_StandardAndSerialPages_ShowOurIdentity()
    {
        var inq = Peer.Require("iscsi-inq", "libiscsi-bin");
        var (dir, path) = RandomDisk();
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path), readOnly: true, ["disk"]);
        await using var target = IscsiTestTarget.Start(exports);
        var std = Peer.Check(inq, target.Url("disk"));
        Assert.That(std, Does.Contain("BAREMETL").And.Contain("VIRTUAL-DISK"));
        var serial = Peer.Check(inq, "--evpd=1", "--pagecode=128", target.Url("disk"));
        Assert.That(serial, Does.Contain(new ImageStore.Iscsi.Scsi.ScsiLogicalUnit(exports.Export).Serial));
    }

    [Test]
    public async Task IscsiLs_DiscoveryListsEveryTargetWithItsLun()
    {
        var ls = Peer.Require("iscsi-ls", "libiscsi-bin");
        var (dir, path) = RandomDisk();
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path), readOnly: true, ["disk", "other"]);
        await using var target = IscsiTestTarget.Start(exports);
        var output = Peer.Check(ls, "-s", $"iscsi://{target.Portal}");
        Assert.That(output, Does.Contain("Target:iqn.2026-11.dev.baremetal:disk Portal:127.0.0.1:").And.Contain("Target:iqn.2026-11.dev.baremetal:other"));
        // iscsi-ls prints the size as last LBA x block size (31M for 32 MiB): its quirk, not ours.
        Assert.That(output, Does.Contain("Lun:0").And.Contain("Type:DIRECT_ACCESS"));
    }

    [Test]
    public async Task IscsiReadCapacity16_ReportsBlocksAndThinProvisioning()
    {
        var rc = Peer.Require("iscsi-readcapacity16", "libiscsi-bin");
        var (dir, path) = RandomDisk();
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path, new OpenOptions { Writable = true }), readOnly: false, ["disk"]);
        await using var target = IscsiTestTarget.Start(exports);
        var output = Peer.Check(rc, target.Url("disk"));
        Assert.That(output, Does.Contain($"RETURNED LOGICAL BLOCK ADDRESS:{(DiskSize / 512) - 1}").And.Contain("LOGICAL BLOCK LENGTH IN BYTES:512").And.Contain($"Total size:{DiskSize}"));
        Assert.That(output, Does.Contain("LBPME:1").And.Contain("LBPRZ:1"));
    }

    /// <summary>
    /// libiscsi's conformance suite. Floors: every SCSI and iSCSI test passed when this was written
    /// (215/215 and 15/15; tgt 1.0.85 passes 208/215 and 14/15 here). Tests for commands we do not
    /// implement (COMPARE AND WRITE, WRITE AND VERIFY, PERSISTENT RESERVE, SANITIZE, ...) count as passed
    /// because the suite skips them when it sees INVALID COMMAND OPERATION CODE.
    /// </summary>
    [TestCase("SCSI", 215)]
    [TestCase("iSCSI", 15)]
    public Task IscsiTestCu_Family_PassesAtLeastFloor(string family, int floor) => RunTestCu(family, floor, chap: false);

    /// <summary>
    /// The same suites with mutual CHAP on every login the suite makes (it opens several sessions per
    /// test): the same floors, so CHAP costs no conformance.
    /// </summary>
    [TestCase("SCSI", 215)]
    [TestCase("iSCSI", 15)]
    public Task IscsiTestCu_WithMutualChap_Family_PassesTheSameFloor(string family, int floor) => RunTestCu(family, floor, chap: true);

    private static async Task RunTestCu(string family, int floor, bool chap)
    {
        var cu = Peer.Require("iscsi-test-cu", "libiscsi-bin");
        var (dir, path) = RandomDisk();
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path, new OpenOptions { Writable = true }), readOnly: false, ["disk"]);
        var secrets = new ImageStore.Iscsi.Policy.ChapSecrets("cu-initiator", "cu-initiator-secret", "cu-target", "cu-target-secret");
        var policy = new CountingAuthPolicy(secrets);
        await using var target = IscsiTestTarget.Start(exports, auth: chap ? policy : null);
        var url = chap ? target.ChapUrl("disk", secrets.User, secrets.Secret, secrets.MutualUser, secrets.MutualSecret) : target.Url("disk");
        var r = Peer.Run(cu, ["--dataloss", "--silent", "-t", family, url], TimeSpan.FromSeconds(300));
        var m = TestsLine().Match(r.StdOut);
        Assert.That(m.Success, Is.True, $"no summary from iscsi-test-cu: {r.StdOut[^Math.Min(2000, r.StdOut.Length)..]} {r.StdErr}");
        var ran = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        var passed = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        TestContext.Out.WriteLine($"iscsi-test-cu {family}{(chap ? " with mutual CHAP" : "")}: {passed}/{ran} passed");
        Assert.That(passed, Is.GreaterThanOrEqualTo(floor), r.StdOut);
        if (chap)
        {
            TestContext.Out.WriteLine($"{policy.Logins} logins, each through CHAP");
            // The suite reuses sessions (60 logins for the SCSI family, 5 for iSCSI here); each had to pass CHAP.
            Assert.That(policy.Logins, Is.Positive, "the suite's logins went through the CHAP policy");
        }
    }

    [GeneratedRegex(@"tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)")]
    private static partial Regex TestsLine();

    [Test]
    public async Task QemuImgConvert_FromIscsi_EqualsTheImage()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        if (!File.Exists("/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so") && Peer.OnCi)
        {
            Assert.Fail("qemu's iSCSI driver is missing (apt-get install qemu-block-extra)");
        }
        var (dir, path) = RandomDisk();
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path), readOnly: true, ["disk"]);
        await using var target = IscsiTestTarget.Start(exports);
        var copy = dir.File("copy.raw");
        var r = Peer.Run(qemuImg, ["convert", "-f", "raw", "-O", "raw", target.Url("disk"), copy], TimeSpan.FromSeconds(120));
        if (r.ExitCode != 0 && r.StdErr.Contains("Unknown protocol", StringComparison.Ordinal))
        {
            Assert.Ignore("qemu-img has no iscsi:// driver (apt-get install qemu-block-extra)");
        }
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(Hash.Sha256File(copy), Is.EqualTo(Hash.Sha256File(path)));
        Assert.That(exports.Export.Counters.Snapshot().BytesRead, Is.GreaterThanOrEqualTo(DiskSize), "iSCSI reads count like NBD reads");
    }

    [Test]
    public async Task QemuIo_WritesThroughOverlayTarget_ReadBackAfterRestart_BaseUntouched()
    {
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var (dir, path) = RandomDisk();
        using var _ = dir;
        var baseHash = Hash.Sha256File(path);
        var overlays = Path.Combine(dir.Path, "overlays");
        Directory.CreateDirectory(overlays);
        using (var exports = new OverlayExportProvider(overlays))
        {
            exports.AddBase("base", path);
            await using var target = IscsiTestTarget.Start(exports);
            var w = Peer.Run(qemuIo, ["-f", "raw", "-c", "write -P 0xab 1M 128k", "-c", "flush", target.Url("base@node1")], TimeSpan.FromSeconds(60));
            if (w.StdErr.Contains("Unknown protocol", StringComparison.Ordinal))
            {
                Assert.Ignore("qemu-io has no iscsi:// driver (apt-get install qemu-block-extra)");
            }
            Assert.That(w.ExitCode, Is.Zero, w.StdErr + w.StdOut);
        }
        using (var exports = new OverlayExportProvider(overlays))
        {
            exports.AddBase("base", path);
            await using var target = IscsiTestTarget.Start(exports);
            var r = Peer.Run(qemuIo, ["-f", "raw", "-c", "read -P 0xab 1M 128k", target.Url("base@node1")], TimeSpan.FromSeconds(60));
            Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
            Assert.That(r.StdOut, Does.Not.Contain("Pattern verification failed"));
            var other = Peer.Run(qemuIo, ["-f", "raw", "-c", "read -P 0xab 1M 128k", target.Url("base@node2")], TimeSpan.FromSeconds(60));
            Assert.That(other.StdOut, Does.Contain("Pattern verification failed"), "another node does not see node1's writes");
        }
        Assert.That(Hash.Sha256File(path), Is.EqualTo(baseHash), "the base is never written");
    }
}
