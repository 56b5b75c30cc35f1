using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>Our target against libiscsi's own tools (Debian libiscsi-bin) and qemu's libiscsi driver.</summary>
[TestFixture]
[NonParallelizable]
public sealed class IscsiLibiscsiTests
{
    private const int DiskSize = 32 * 1024 * 1024;

    private static (TempDir Dir, string Path) RandomDisk()
    {
        var dir = new TempDir("iscsi");
        var path = dir.File("disk.raw");
        var bytes = new byte[DiskSize];
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
}
