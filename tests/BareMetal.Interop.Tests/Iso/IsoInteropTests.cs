using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Iso;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iso;

/// <summary>ISOs mastered at test time by xorriso and genisoimage: every file reads back byte-identical.</summary>
public partial class IsoInteropTests
{
    private const string LongName = "A rather long Joliet file name, Mixed Case & spaces.txt";

    /// <summary>A source tree: nested directories, a long mixed-case name, a file over 1 MiB, boot images.</summary>
    private static string MakeTree(TempDir dir)
    {
        var src = dir.File("src");
        Directory.CreateDirectory(Path.Combine(src, "boot", "grub"));
        Directory.CreateDirectory(Path.Combine(src, "a", "b", "c", "d"));
        File.WriteAllText(Path.Combine(src, "readme.txt"), "hello\n");
        File.WriteAllText(Path.Combine(src, "a", LongName), "long name\n");
        File.WriteAllText(Path.Combine(src, "a", "b", "c", "d", "deep.cfg"), "deep\n");
        var rng = new Random(9);
        var big = new byte[(1 << 20) + 12345];
        rng.NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "boot", "vmlinuz"), big);
        var initrd = new byte[300_000];
        rng.NextBytes(initrd);
        File.WriteAllBytes(Path.Combine(src, "boot", "initrd.img"), initrd);
        File.WriteAllBytes(Path.Combine(src, "boot", "grub", "bios.img"), [.. Enumerable.Repeat((byte)0xB1, 2048)]);
        File.WriteAllBytes(Path.Combine(src, "boot", "grub", "efi.img"), [.. Enumerable.Repeat((byte)0xEF, 4096 * 3)]);
        File.WriteAllBytes(Path.Combine(src, "empty"), []);
        return src;
    }

    private static string Xorriso(TempDir dir, string src)
    {
        var xorriso = Peer.Require("xorriso", "xorriso");
        var iso = dir.File("x.iso");
        Peer.Check(xorriso, "-as", "mkisofs", "-J", "-R", "-V", "BM_TEST", "-o", iso,
            "-b", "boot/grub/bios.img", "-no-emul-boot", "-boot-load-size", "4",
            "-eltorito-alt-boot", "-e", "boot/grub/efi.img", "-no-emul-boot", src);
        return iso;
    }

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    private static void AssertTreeMatches(IsoFileSystem fs, string src, bool caseExact)
    {
        var files = Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories).ToList();
        var walked = fs.Walk().Where(w => !w.Entry.IsDirectory && !w.Path.EndsWith("boot.catalog", StringComparison.Ordinal)).ToList();
        Assert.That(walked, Has.Count.EqualTo(files.Count));
        foreach (var f in files)
        {
            var rel = "/" + Path.GetRelativePath(src, f).Replace('\\', '/');
            var entry = fs.Stat(rel);
            Assert.That(entry.Size, Is.EqualTo(new FileInfo(f).Length), rel);
            Assert.That(Sha(fs.ReadAllBytes(rel)), Is.EqualTo(Hash.Sha256File(f)), rel);
            if (caseExact)
            {
                Assert.That(walked.Select(w => w.Path), Does.Contain(rel));
            }
        }
    }

    [Test]
    public void Xorriso_JolietTree_ReadsEveryFileByteIdentical()
    {
        using var dir = new TempDir();
        var src = MakeTree(dir);
        var iso = Xorriso(dir, src);
        using var disk = DiskImage.Open(iso);
        Assert.That(disk.Format, Is.EqualTo(ImageFormat.Iso));
        var fs = IsoFileSystem.Open(disk);
        Assert.That(fs.IsJoliet, Is.True);
        Assert.That(fs.VolumeId, Is.EqualTo("BM_TEST"));
        Assert.That(fs.List("/a").Select(e => e.Name), Does.Contain(LongName));
        AssertTreeMatches(fs, src, caseExact: true);
    }

    [Test]
    public void Xorriso_RockRidgeTree_GivesPosixNames()
    {
        using var dir = new TempDir();
        var src = MakeTree(dir);
        var iso = Xorriso(dir, src);
        using var disk = DiskImage.Open(iso);
        var fs = IsoFileSystem.Open(disk, preferJoliet: false);
        Assert.That(fs.IsJoliet, Is.False);
        Assert.That(fs.HasRockRidge, Is.True);
        AssertTreeMatches(fs, src, caseExact: true);
    }

    [Test]
    public void Genisoimage_PlainIso9660_ReadsByCaseInsensitiveNames()
    {
        var genisoimage = Peer.Require("genisoimage", "genisoimage");
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(Path.Combine(src, "dir"));
        var data = new byte[3 << 20];
        new Random(3).NextBytes(data);
        File.WriteAllBytes(Path.Combine(src, "dir", "data.bin"), data);
        File.WriteAllText(Path.Combine(src, "noext"), "x\n");
        var iso = dir.File("g.iso");
        Peer.Check(genisoimage, "-quiet", "-o", iso, src);
        using var disk = DiskImage.Open(iso);
        var fs = IsoFileSystem.Open(disk);
        Assert.That(fs.IsJoliet, Is.False);
        Assert.That(fs.List("/").Select(e => e.Name), Is.EquivalentTo(new[] { "DIR", "NOEXT" }));
        Assert.That(Sha(fs.ReadAllBytes("/dir/data.bin")), Is.EqualTo(Sha(data)));
        Assert.That(fs.ReadAllBytes("/noext"), Is.EqualTo("x\n"u8.ToArray()));
    }

    [Test]
    public void BootCatalog_EqualsXorrisoReport()
    {
        using var dir = new TempDir();
        var src = MakeTree(dir);
        var iso = Xorriso(dir, src);
        var report = Peer.Check(Peer.Require("xorriso", "xorriso"), "-indev", iso, "-report_el_torito", "plain");
        // "El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4          35"
        var theirs = BootLine().Matches(report).Select(m => string.Join(' ', m.Groups.Values.Skip(1).Select(g => g.Value))).ToList();
        var catalogLba = uint.Parse(CatalogLine().Match(report).Groups[1].Value, CultureInfo.InvariantCulture);
        using var disk = DiskImage.Open(iso);
        var cat = IsoFileSystem.Open(disk).BootCatalog!;
        Assert.That(cat.CatalogLba, Is.EqualTo(catalogLba));
        var ours = cat.Entries.Select(e => string.Join(' ',
            e.Index.ToString(CultureInfo.InvariantCulture),
            e.Platform switch { ElToritoPlatform.X86 => "BIOS", ElToritoPlatform.Efi => "UEFI", _ => "?" },
            e.Bootable ? "y" : "n",
            e.Emulation == ElToritoEmulation.NoEmulation ? "none" : "emul",
            FormattableString.Invariant($"0x{e.LoadSegment:x4}"),
            FormattableString.Invariant($"0x{e.SystemType:x2}"),
            e.SectorCount.ToString(CultureInfo.InvariantCulture),
            e.LoadRba.ToString(CultureInfo.InvariantCulture))).ToList();
        Assert.That(theirs, Has.Count.EqualTo(2));
        Assert.That(ours, Is.EqualTo(theirs));
        // And the images the entries point at are the files we put there.
        var bios = new byte[2048];
        disk.Read(cat.Entries[0].LoadRba * 2048L, bios);
        Assert.That(bios.All(b => b == 0xB1), Is.True);

        // `image info` says the same in words: label, name trees, and each boot entry.
        var info = Cli.Run("image", "info", iso);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.StdErr);
        Assert.That(info.StdOut, Does.Contain("volume-id: BM_TEST").And.Contain("joliet: true").And.Contain("rock-ridge: true"));
        var e0 = cat.Entries[0];
        var e1 = cat.Entries[1];
        Assert.That(info.StdOut, Does.Contain(FormattableString.Invariant(
            $"el-torito: bios no-emulation {e0.SectorCount * 512} bytes at sector {e0.LoadRba}, uefi no-emulation {e1.SectorCount * 512} bytes at sector {e1.LoadRba}")));
    }

    [Test]
    public void TruncatedIso_IsRefusedWithPointerOutOfRange()
    {
        using var dir = new TempDir();
        var src = MakeTree(dir);
        var iso = Xorriso(dir, src);
        // Cut the image in the middle of the kernel: the directory listing it must refuse.
        using (var f = new FileStream(iso, FileMode.Open))
        {
            f.SetLength(f.Length - (1 << 20));
        }
        using var disk = DiskImage.Open(iso);
        var e = Assert.Throws<ImageFormatException>(() => IsoFileSystem.Open(disk).Walk().ToList());
        Assert.That(e!.Reason, Is.EqualTo(ImageError.PointerOutOfRange));
        Assert.That(e.Message, Does.Contain("iso9660"));
    }

    [GeneratedRegex(@"El Torito boot img :\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)")]
    private static partial Regex BootLine();

    [GeneratedRegex(@"El Torito catalog\s+:\s+(\d+)")]
    private static partial Regex CatalogLine();
}
