using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.FileSystems.Fat;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.FileSystems;

/// <summary>
/// FAT12/16/32 images made at test time by mkfs.vfat and filled by mcopy -s: every file, listing and
/// long name read back equal to the source and to mdir's listing; label and volume id equal blkid's view.
/// </summary>
public class FatInteropTests
{
    internal static string MakeSource(string src, int manyFiles)
    {
        var rng = new Random(3);
        Directory.CreateDirectory(Path.Combine(src, "EFI", "BOOT"));
        Directory.CreateDirectory(Path.Combine(src, "Sub Dir", "deeper", "and deeper"));
        File.WriteAllBytes(Path.Combine(src, "EFI", "BOOT", "BOOTX64.EFI"), SourceTree.Random(rng, 150_003));
        File.WriteAllText(Path.Combine(src, "readme.txt"), "lower-case 8.3 name\n");
        File.WriteAllText(Path.Combine(src, "UPPER.TXT"), "upper-case 8.3 name\n");
        File.WriteAllText(Path.Combine(src, "A rather long file name, with Mixed Case and spaces.text"), "long\n");
        File.WriteAllText(Path.Combine(src, "Sub Dir", "deeper", "and deeper", "MixedCase.Txt"), "deep\n");
        File.WriteAllBytes(Path.Combine(src, "Sub Dir", "empty"), []);
        foreach (var size in (int[])[1, 511, 512, 513, 2048, 4097, 65536, 100_000])
        {
            File.WriteAllBytes(Path.Combine(src, "Sub Dir", $"size-{size}.bin"), SourceTree.Random(rng, size));
        }
        var many = Path.Combine(src, "many");
        Directory.CreateDirectory(many);
        for (var i = 0; i < manyFiles; i++)
        {
            File.WriteAllText(Path.Combine(many, $"long name number {i}.txt"), $"{i}\n");
        }
        return src;
    }

    internal static string MakeImage(TempDir dir, string src, int fatBits, int sizeKiB, string name = "fat.img")
    {
        var mkfs = Peer.Require("mkfs.vfat", "dosfstools");
        var mcopy = Peer.Require("mcopy", "mtools");
        var img = dir.File(name);
        Peer.Check(mkfs, "-F", fatBits.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", "ESPLABEL", "-i", "1234abcd", "-C", img,
            sizeKiB.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var entries = Directory.EnumerateFileSystemEntries(src).ToArray();
        Peer.Check(mcopy, ["-s", "-i", img, .. entries, "::/"]);
        return img;
    }

    [TestCase(12, 4096, 30)]
    [TestCase(16, 32 * 1024, 300)]
    [TestCase(32, 64 * 1024, 300)]
    public void MkfsVfatPlusMcopy_EveryFileListingAndLongNameMatches(int bits, int sizeKiB, int many)
    {
        using var dir = new TempDir();
        var src = MakeSource(dir.File("src"), many);
        var img = MakeImage(dir, src, bits, sizeKiB);
        using var disk = DiskImage.Open(img);
        var layout = DiskInspector.Inspect(disk);
        var fs = (FatFileSystem)layout.Open(null);
        Assert.That(fs.Boot.FatBits, Is.EqualTo(bits));
        Assert.That(fs.Type, Is.EqualTo("vfat"));
        Assert.That(fs.Label, Is.EqualTo("ESPLABEL"));
        Assert.That(fs.Uuid, Is.EqualTo("1234-ABCD"));
        SourceTree.AssertMatches(fs, src, symlinks: false);

        // mdir's recursive bare listing names the same paths (directories end in '/').
        var mdir = Peer.Require("mdir", "mtools");
        var theirs = Peer.Check(mdir, "-i", img, "-/", "-b", "::/").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim()["::".Length..].TrimEnd('/')).Order(StringComparer.Ordinal).ToList();
        var ours = fs.Walk("/").Select(w => w.Path).Order(StringComparer.Ordinal).ToList();
        Assert.That(ours, Is.EqualTo(theirs));

        // Names resolve whatever their case, as on the firmware that reads an ESP.
        Assert.That(fs.ReadAllBytes("/efi/boot/bootx64.efi"), Has.Length.EqualTo(150_003));
    }

    [Test]
    public void ClusterChainThatLoops_ReadGivesOneLineError()
    {
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(src);
        File.WriteAllBytes(Path.Combine(src, "big.bin"), new byte[20_000]);
        var img = MakeImage(dir, src, 16, 32 * 1024);
        uint first;
        FatBootSector boot;
        using (var disk = DiskImage.Open(img))
        {
            var fs = (FatFileSystem)DiskInspector.Inspect(disk).Open(null);
            first = (uint)fs.Stat("/big.bin").Id;
            boot = fs.Boot;
        }
        // The file's second cluster links back to its first.
        using (var f = new FileStream(img, FileMode.Open))
        {
            f.Position = boot.FatOffset + ((first + 1) * 2);
            f.Write(BitConverter.GetBytes((ushort)first));
        }
        using var again = DiskImage.Open(img);
        var fs2 = DiskInspector.Inspect(again).Open(null);
        var e = Assert.Throws<FileSystemFormatException>(() => fs2.ReadAllBytes("/big.bin"));
        Assert.That(e!.Message, Does.Contain("loops back to cluster").And.Not.Contain("\n"));
    }
}
