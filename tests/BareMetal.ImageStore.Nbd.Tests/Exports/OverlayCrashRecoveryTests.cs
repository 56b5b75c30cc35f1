using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests.Exports;

/// <summary>
/// What a server killed while creating a node's overlay (its first connection) leaves, and what the
/// next server makes of it. Found by the kill -9 fault tests (tests/BareMetal.Interop.Tests/Faults).
/// </summary>
public class OverlayCrashRecoveryTests
{
    private const long BaseBytes = 16 << 20;

    [Test]
    public void Find_OnAnEmptyOverlayLeftByAKilledCreation_StartsAFreshOverlayOverTheBase()
    {
        using var dir = new TempDir();
        var overlays = Path.Combine(dir.Path, "overlays");
        Directory.CreateDirectory(overlays);
        // Killed between creating the file and writing its header: an empty file under the real name.
        File.WriteAllBytes(Path.Combine(overlays, "base@node-1.qcow2"), []);
        using var provider = new OverlayExportProvider(overlays);
        provider.AddBase("base", TestDisks.CreateSparse(dir.File("base.img"), BaseBytes));

        var export = provider.Find("base@node-1")!;

        Assert.That(export.Disk.Format, Is.EqualTo(ImageFormat.Qcow2), "not a 0-byte raw disk");
        Assert.That(export.Size, Is.EqualTo(BaseBytes));
        var buffer = new byte[4096];
        export.Disk.Read(1 << 20, buffer);
        Assert.That(buffer, Is.All.EqualTo(0x5a), "reads come from the base");
    }

    [Test]
    public void Find_OnAnOverlayThatIsNotQcow2_RefusesInsteadOfServingItsBytesAsARawDisk()
    {
        using var dir = new TempDir();
        var overlays = Path.Combine(dir.Path, "overlays");
        Directory.CreateDirectory(overlays);
        File.WriteAllBytes(Path.Combine(overlays, "base@node-1.qcow2"), Enumerable.Repeat((byte)0x41, 65536).ToArray());
        using var provider = new OverlayExportProvider(overlays);
        provider.AddBase("base", TestDisks.CreateSparse(dir.File("base.img"), BaseBytes));

        var e = Assert.Throws<ImageFormatException>(() => provider.Find("base@node-1"));

        Assert.That(e!.Format, Is.EqualTo(ImageFormat.Qcow2));
        Assert.That(File.ReadAllBytes(Path.Combine(overlays, "base@node-1.qcow2")), Has.Length.EqualTo(65536), "the file is left for the operator");
    }

    [Test]
    public void Find_CreatesTheOverlayCompleteUnderItsName_AndLeavesNoTemporaryFile()
    {
        using var dir = new TempDir();
        var overlays = Path.Combine(dir.Path, "overlays");
        using var provider = new OverlayExportProvider(overlays);
        provider.AddBase("base", TestDisks.CreateSparse(dir.File("base.img"), BaseBytes));

        var export = provider.Find("base@node-1")!;
        export.Disk.Write(0, new byte[4096]);
        export.Disk.Flush();

        Assert.That(Directory.GetFiles(overlays).Select(Path.GetFileName), Is.EqualTo(new[] { "base@node-1.qcow2" }));
        using var reopened = DiskImage.Open(Path.Combine(overlays, "base@node-1.qcow2"));
        Assert.That(reopened.Check().Corruptions, Is.EqualTo(0));
    }

    [Test]
    public void Opening_SweepsStaleCreationLeftovers_ButNotOneThatMayStillBeInProgress()
    {
        using var dir = new TempDir();
        var overlays = Path.Combine(dir.Path, "overlays");
        Directory.CreateDirectory(overlays);
        var stale = Path.Combine(overlays, "base@node-1.qcow2.0123" + Qcow2Writer.CreatingSuffix);
        var fresh = Path.Combine(overlays, "base@node-2.qcow2.4567" + Qcow2Writer.CreatingSuffix);
        var overlay = Path.Combine(overlays, "base@node-3.qcow2");
        foreach (var f in new[] { stale, fresh, overlay })
        {
            File.WriteAllBytes(f, [1, 2, 3]);
        }
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow - OverlayExportProvider.StaleCreation - TimeSpan.FromMinutes(1));
        File.SetLastWriteTimeUtc(overlay, DateTime.UtcNow - TimeSpan.FromDays(30));

        using var provider = new OverlayExportProvider(overlays);

        Assert.That(File.Exists(stale), Is.False);
        Assert.That(File.Exists(fresh), Is.True, "another process may be creating it right now");
        Assert.That(File.Exists(overlay), Is.True, "overlays are never swept");
    }
}
