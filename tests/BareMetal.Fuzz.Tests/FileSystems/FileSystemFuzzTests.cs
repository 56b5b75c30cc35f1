using System.Reflection;
using BareMetal.Fuzz.Tests.Vmdk;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.FileSystems.Ext;
using BareMetal.ImageStore.Formats.FileSystems.Fat;
using BareMetal.ImageStore.Formats.Partitions;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.FileSystems;

/// <summary>
/// Mutated MBR/EBR, GPT, ext and FAT structures, parsed alone (pure parsers, many cases) and as whole disks
/// (seeds made by the real tools, then mutated where the metadata lives, and read end to end: table,
/// probe, every directory, every file, every symlink). Only clean errors, never a hang.
/// </summary>
public class FileSystemFuzzTests
{
    private const int PureCases = 50_000;
    private const int ImageCases = 1_500;

    /// <summary>Every parser in the partition and file system namespaces, each fuzzed below.</summary>
    private static readonly Type[] Targets =
    [
        typeof(MbrSector), typeof(MbrEntry), typeof(GptHeader), typeof(GptEntry),
        typeof(ExtSuperblock), typeof(ExtInode), typeof(ExtExtentNode), typeof(ExtDirectoryBlock), typeof(ExtXattrs),
        typeof(FatBootSector), typeof(FatDirectory), typeof(OsRelease),
    ];

    [Test]
    public void EveryFileSystemParser_HasAFuzzTarget()
    {
        var parsers = typeof(PartitionTable).Assembly.GetTypes()
            .Where(t => t.IsPublic && t.Namespace is { } ns && (ns.EndsWith(".Partitions", StringComparison.Ordinal) || ns.Contains(".FileSystems", StringComparison.Ordinal)))
            .Where(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Any(m => m.Name is "Parse" or "TryParse" or "FindSystemData"))
            .ToList();
        Assert.That(parsers, Is.Not.Empty);
        Assert.That(parsers.Except(Targets), Is.Empty, "a parser without a fuzz target: add it to Targets and fuzz it here");
    }

    private static void Run(int cases, Action<int> body, string what) => FileSystemFuzzLoop.Run(cases, body, what);

    private static byte[] Tool(TempDir dir, string name, Action<string> make)
    {
        var path = dir.File(name);
        make(path);
        return File.ReadAllBytes(path);
    }

    private static byte[] MbrDisk(TempDir dir) => Tool(dir, "mbr.img", p =>
    {
        File.WriteAllBytes(p, new byte[4 << 20]);
        var r = Peer.Run(Peer.Require("sfdisk", "fdisk"), ["--no-reread", "--no-tell-kernel", p],
            stdin: "label: dos\nstart=64, size=64, type=83\nstart=128, size=4000, type=5\nstart=192, size=64, type=83\nstart=320, size=64, type=c\nstart=448, size=64, type=82\n");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
    });

    private static byte[] GptDisk(TempDir dir) => Tool(dir, "gpt.img", p =>
    {
        File.WriteAllBytes(p, new byte[4 << 20]);
        Peer.Check(Peer.Require("sgdisk", "gdisk"), "-a", "8", "-n", "1:64:+256K", "-t", "1:ef00", "-c", "1:esp", "-n", "2:0:+1M", p);
    });

    private static string TinySource(TempDir dir)
    {
        var src = dir.File("src-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(src, "dir", "sub"));
        File.WriteAllText(Path.Combine(src, "small"), "tiny inline file\n");
        File.WriteAllBytes(Path.Combine(src, "dir", "data.bin"), [.. Enumerable.Range(0, 30_000).Select(i => unchecked((byte)i))]);
        File.WriteAllText(Path.Combine(src, "dir", "sub", "Long File Name.txt"), "x\n");
        File.CreateSymbolicLink(Path.Combine(src, "link"), "dir/sub");
        File.CreateSymbolicLink(Path.Combine(src, "long-link"), "/" + new string('a', 100));
        return src;
    }

    private static byte[] ExtImage(TempDir dir, string[] options) => Tool(dir, "ext.img", p =>
        Peer.Check(Peer.Require("mke2fs", "e2fsprogs"), ["-F", "-q", "-t", "ext4", "-b", "1024", "-N", "32", .. options, "-d", TinySource(dir), p, "512K"]));

    private static byte[] FatImage(TempDir dir, int bits, int kib) => Tool(dir, $"fat{bits}.img", p =>
    {
        Peer.Check(Peer.Require("mkfs.vfat", "dosfstools"), "-F", bits.ToString(System.Globalization.CultureInfo.InvariantCulture), "-s", "1", "-C", p,
            kib.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var src = TinySource(dir);
        File.Delete(Path.Combine(src, "link"));
        File.Delete(Path.Combine(src, "long-link"));
        Peer.Check(Peer.Require("mcopy", "mtools"), ["-s", "-i", p, .. Directory.EnumerateFileSystemEntries(src), "::/"]);
    });

    [Test]
    public void MbrAndGptParsers_MutatedSectors_OnlyCleanErrors()
    {
        using var dir = new TempDir();
        var mbr = MbrDisk(dir);
        var gpt = GptDisk(dir);
        byte[][] seeds = [mbr[..512], mbr[(128 * 512)..(129 * 512)], gpt[512..1024], gpt[1024..(1024 + 512)]];
        var m = new Mutator(31);
        Run(PureCases, i =>
        {
            var b = m.Mutate(seeds[i % seeds.Length]);
            _ = MbrSector.TryParse(b);
            if (b.Length >= GptEntry.MinSize)
            {
                _ = GptEntry.Parse(b);
            }
            if (i % 4 == 2 && b.Length >= 92)
            {
                // Get past the CRC half the time, so the fields behind it are fuzzed too.
                BitConverter.GetBytes(0u).CopyTo(b, 16);
                BitConverter.GetBytes(Crc32.Compute(b.AsSpan(0, (int)Math.Min(BitConverter.ToUInt32(b, 12), (uint)Math.Min(512, b.Length))))).CopyTo(b, 16);
            }
            _ = GptHeader.Parse(b, 1, 8192, "fuzz.img");
        }, "partition sectors");
    }

    [TestCase("mbr")]
    [TestCase("gpt")]
    public void PartitionedDisks_MutatedTables_OnlyCleanErrors(string kind)
    {
        using var dir = new TempDir();
        var seed = kind == "mbr" ? MbrDisk(dir) : GptDisk(dir);
        var path = dir.File("fuzz.img");
        var m = new Mutator(kind == "mbr" ? 32 : 33);
        Run(ImageCases, i =>
        {
            var b = m.Mutate(seed, 0, 200 * 512);
            if (kind == "gpt" && i % 2 == 0 && b.Length > 1024)
            {
                BitConverter.GetBytes(0u).CopyTo(b, 512 + 16);
                BitConverter.GetBytes(Crc32.Compute(b.AsSpan(512, 92))).CopyTo(b, 512 + 16);
            }
            File.WriteAllBytes(path, b);
            using var disk = DiskImage.Open(path, new OpenOptions { Format = ImageFormat.Raw });
            var layout = DiskInspector.Inspect(disk);
            _ = layout.Table.Partitions.Count;
        }, $"{kind} disk");
    }

    [Test]
    public void ExtAndFatParsers_MutatedStructures_OnlyCleanErrors()
    {
        using var dir = new TempDir();
        var ext = ExtImage(dir, ["-O", "inline_data"]);
        var fat = FatImage(dir, 12, 1024);
        var m = new Mutator(34);
        var super = ext[1024..2048];
        var fatBoot = fat[..512];
        var dirs = new List<(string Name, uint Inode)>();
        Run(PureCases, i =>
        {
            switch (i % 6)
            {
                case 0:
                    _ = ExtSuperblock.Parse(m.Mutate(super, 0, 0x180), 1 << 30, "fuzz.img");
                    break;
                case 1:
                    {
                        var b = m.Mutate(ext, 0, ext.Length).AsSpan();
                        var at = m.Random.Next(0, Math.Max(1, b.Length - 1024));
                        var inode = ExtInode.Parse(b.Slice(at, Math.Min(256, b.Length - at)), 12, "fuzz.img");
                        _ = ExtXattrs.FindSystemData(inode.XattrArea, 12, "fuzz.img");
                        _ = ExtExtentNode.Parse(inode.Block, "fuzz", "fuzz.img");
                        break;
                    }
                case 2:
                    {
                        var b = m.Mutate(ext);
                        if (b.Length < 2048)
                        {
                            break;
                        }
                        var at = m.Random.Next(0, (b.Length / 1024) - 1) * 1024;
                        dirs.Clear();
                        ExtDirectoryBlock.Parse(b.AsSpan(at, Math.Min(1024, b.Length - at)), i % 4 != 0, 32, "fuzz", "fuzz.img", dirs);
                        break;
                    }
                case 3:
                    _ = FatBootSector.Parse(m.Mutate(fatBoot, 0, 90), 1 << 30, "fuzz.img");
                    break;
                case 4:
                    {
                        var b = m.Mutate(fat);
                        if (b.Length < 1024)
                        {
                            break;
                        }
                        var at = m.Random.Next(0, (b.Length / 512) - 1) * 512;
                        _ = FatDirectory.Parse(b.AsSpan(at, Math.Min(2048, b.Length - at)), "fuzz", "fuzz.img", out _);
                        break;
                    }
                default:
                    _ = OsRelease.Parse(System.Text.Encoding.UTF8.GetString(m.Mutate("PRETTY_NAME=\"Debian GNU/Linux 12\"\nID='debian'\n#x\n=\n"u8.ToArray())));
                    _ = FileSystemProbe.Detect(m.Mutate(i % 2 == 0 ? ext[..4096] : fat[..4096]));
                    break;
            }
        }, "ext and fat structures");
    }

    [TestCase("ext4", new string[0])]
    [TestCase("ext4-inline", new[] { "-O", "inline_data" })]
    [TestCase("ext2-blockmap", new[] { "-O", "^extents,^64bit,^flex_bg" })]
    [TestCase("fat12", new string[0])]
    [TestCase("fat16", new string[0])]
    public void WholeFileSystems_MutatedMetadata_OnlyCleanErrors(string kind, string[] options)
    {
        using var dir = new TempDir();
        var seed = kind switch
        {
            "fat12" => FatImage(dir, 12, 1024),
            "fat16" => FatImage(dir, 16, 4 * 1024),
            _ => ExtImage(dir, options),
        };
        // The metadata: ext's superblock, descriptors, bitmaps, inode table and first directory blocks;
        // FAT's boot sector, FATs and root directory.
        var focus = kind.StartsWith("fat", StringComparison.Ordinal) ? 48 * 1024 : 96 * 1024;
        var path = dir.File("fuzz.img");
        var m = new Mutator(kind.Sum(c => c));
        var buf = new byte[64 * 1024];
        Run(ImageCases, i =>
        {
            File.WriteAllBytes(path, m.Mutate(seed, 0, focus));
            using var disk = DiskImage.Open(path, new OpenOptions { Format = ImageFormat.Raw });
            var layout = DiskInspector.Inspect(disk);
            var fs = layout.Open(null);
            _ = (fs.Label, fs.Uuid);
            foreach (var (_, e) in fs.Walk("/"))
            {
                if (e.IsSymlink)
                {
                    _ = fs.ReadLink(e);
                }
                else if (e.IsFile)
                {
                    using var s = fs.OpenRead(e);
                    while (s.Position < (1 << 20) && s.Read(buf) > 0)
                    {
                    }
                }
            }
            _ = BootFiles.FindAll(layout).ToList();
        }, kind);
    }
}
