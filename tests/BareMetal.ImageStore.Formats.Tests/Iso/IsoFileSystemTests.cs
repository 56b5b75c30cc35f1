using BareMetal.ImageStore.Formats.Iso;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Iso;

public class IsoFileSystemTests
{
    private static (TempDir Dir, VirtualDisk Disk) OpenImage(byte[] bytes)
    {
        var dir = new TempDir();
        var path = dir.File("test.iso");
        File.WriteAllBytes(path, bytes);
        return (dir, DiskImage.Open(path));
    }

    [Test]
    public void Open_PrefersJoliet_AndListsItsNames()
    {
        var (dir, disk) = OpenImage(IsoTestImage.Build());
        using (dir)
        using (disk)
        {
            Assert.That(disk.Format, Is.EqualTo(ImageFormat.Iso));
            var fs = IsoFileSystem.Open(disk);
            Assert.That(fs.IsJoliet, Is.True);
            Assert.That(fs.VolumeId, Is.EqualTo("JVOL"));
            var names = fs.List("/").Select(e => e.Name).ToList();
            Assert.That(names, Is.EqualTo(new[] { "Hello World.txt", "Long Joliet Name With Spaces.bin" }));
            Assert.That(fs.ReadAllBytes("/Hello World.txt"), Is.EqualTo(IsoTestImage.Hello));
        }
    }

    [Test]
    public void Open_PrimaryTree_StripsVersionAndTrailingDot()
    {
        var (dir, disk) = OpenImage(IsoTestImage.Build(joliet: false));
        using (dir)
        using (disk)
        {
            var fs = IsoFileSystem.Open(disk);
            Assert.That(fs.IsJoliet, Is.False);
            Assert.That(fs.VolumeId, Is.EqualTo("TESTVOL"));
            var root = fs.List();
            Assert.That(root.Select(e => (e.Name, e.IsDirectory)), Is.EqualTo(new[] { ("DIR", true), ("HELLO.TXT", false), ("MULTI.BIN", false) }));
            Assert.That(fs.List("/DIR").Single().Name, Is.EqualTo("README"));
            Assert.That(fs.ReadAllBytes("dir/readme"), Is.EqualTo(IsoTestImage.Hello), "case-insensitive fallback");
            Assert.That(root.Single(e => e.Name == "HELLO.TXT").Modified, Is.EqualTo(new DateTimeOffset(2024, 5, 17, 12, 30, 0, TimeSpan.Zero)));
        }
    }

    [Test]
    public void ReadFile_MultiExtent_JoinsExtentsInOrder()
    {
        var (dir, disk) = OpenImage(IsoTestImage.Build(joliet: false));
        using (dir)
        using (disk)
        {
            var fs = IsoFileSystem.Open(disk);
            var entry = fs.Stat("/MULTI.BIN");
            Assert.That(entry.Extents, Has.Count.EqualTo(2));
            Assert.That(entry.Size, Is.EqualTo(IsoTestImage.Sector + 100));
            Assert.That(fs.ReadAllBytes("/MULTI.BIN"), Is.EqualTo(IsoTestImage.Multi()));
            using var s = fs.OpenRead("/MULTI.BIN");
            s.Position = 1950;
            var buf = new byte[198];
            s.ReadExactly(buf);
            Assert.That(buf, Is.EqualTo(IsoTestImage.Multi().AsSpan(1950, 198).ToArray()));
        }
    }

    [Test]
    public void BootCatalog_ReportsDefaultAndEfiEntries()
    {
        var (dir, disk) = OpenImage(IsoTestImage.Build());
        using (dir)
        using (disk)
        {
            var cat = IsoFileSystem.Open(disk).BootCatalog!;
            Assert.That(cat.CatalogLba, Is.EqualTo(20));
            Assert.That(cat.Entries, Is.EqualTo(new[]
            {
                new ElToritoEntry(1, true, ElToritoPlatform.X86, ElToritoEmulation.NoEmulation, 0, 0, 4, 27),
                new ElToritoEntry(2, true, ElToritoPlatform.Efi, ElToritoEmulation.NoEmulation, 0, 0, 8, 28),
            }));
        }
    }

    [Test]
    public void NoBootRecord_MeansNoCatalog()
    {
        var (dir, disk) = OpenImage(IsoTestImage.Build(elTorito: false));
        using (dir)
        using (disk)
        {
            Assert.That(IsoFileSystem.Open(disk).BootCatalog, Is.Null);
        }
    }

    [Test]
    public void Stat_MissingPath_ThrowsFileNotFound()
    {
        var (dir, disk) = OpenImage(IsoTestImage.Build());
        using (dir)
        using (disk)
        {
            var fs = IsoFileSystem.Open(disk);
            Assert.Throws<FileNotFoundException>(() => fs.Stat("/nope"));
            Assert.That(fs.Exists("/Hello World.txt"), Is.True);
        }
    }

    [Test]
    public void Walk_VisitsEveryEntryWithFullPaths()
    {
        var (dir, disk) = OpenImage(IsoTestImage.Build(joliet: false));
        using (dir)
        using (disk)
        {
            var paths = IsoFileSystem.Open(disk).Walk().Select(w => w.Path).Order().ToList();
            Assert.That(paths, Is.EqualTo(new[] { "/DIR", "/DIR/README", "/HELLO.TXT", "/MULTI.BIN" }));
        }
    }
}
