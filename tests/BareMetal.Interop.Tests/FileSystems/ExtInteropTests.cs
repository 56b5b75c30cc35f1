using System.Text.RegularExpressions;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.FileSystems.Ext;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.FileSystems;

/// <summary>
/// ext2/3/4 images made at test time by mke2fs -d from a source tree (no loop devices): every listing,
/// every file's bytes and every symlink target read back equal the source, and debugfs agrees on
/// inode numbers. Hostile images are made from real ones with debugfs -w and byte patches.
/// </summary>
public partial class ExtInteropTests
{
    private static string Mke2fs(TempDir dir, string src, string type, string[] options, string size = "160M")
    {
        var mke2fs = Peer.Require("mke2fs", "e2fsprogs");
        var img = dir.File($"{type}.img");
        var r = Peer.Run(mke2fs, ["-F", "-q", "-t", type, .. options, "-d", src, img, size],
            TimeSpan.FromMinutes(3));
        Assert.That(r.ExitCode, Is.EqualTo(0), $"{r.CommandLine}: {r.StdErr}");
        return img;
    }

    private static string MakeSource(TempDir dir, int manyFiles = 0, long[]? sparse = null)
    {
        var src = dir.File("src");
        SourceTree.MakeOs(src);
        SourceTree.AddLinksAndDepth(src);
        if (manyFiles > 0)
        {
            SourceTree.AddManyFiles(src, manyFiles);
        }
        SourceTree.AddSparse(src, sparse ?? [0, 300_000, 5_000_000]);
        return src;
    }

    private static bool Ignore(string path) => path == "/lost+found" || path.StartsWith("/lost+found/", StringComparison.Ordinal);

    [TestCase("ext4", new string[0], "ext4", TestName = "Ext4_Default_EveryFileAndListingMatchesTheSource")]
    [TestCase("ext3", new string[0], "ext3", TestName = "Ext3_Default_EveryFileAndListingMatchesTheSource")]
    [TestCase("ext2", new[] { "-I", "128" }, "ext2", TestName = "Ext2_128ByteInodes_EveryFileAndListingMatchesTheSource")]
    [TestCase("ext4", new[] { "-O", "^extents,^64bit" }, "ext4", TestName = "Ext4_WithoutExtents_BlockMapsMatchTheSource")]
    [TestCase("ext4", new[] { "-O", "64bit" }, "ext4", TestName = "Ext4_64bit_64ByteDescriptorsMatchTheSource")]
    [TestCase("ext4", new[] { "-O", "inline_data" }, "ext4", TestName = "Ext4_InlineData_SmallFilesAndDirectoriesMatchTheSource")]
    [TestCase("ext4", new[] { "-O", "meta_bg,^resize_inode", "-b", "1024" }, "ext4", TestName = "Ext4_MetaBg1KBlocks_MatchesTheSource")]
    [TestCase("ext4", new[] { "-I", "1024", "-N", "9000" }, "ext4", TestName = "Ext4_1024ByteInodes_MatchesTheSource")]
    public void MkfsImage_ReadsBackEqualToSource(string type, string[] options, string expectedType)
    {
        using var dir = new TempDir();
        var src = MakeSource(dir);
        var img = Mke2fs(dir, src, type, options);
        using var disk = DiskImage.Open(img);
        var fs = DiskInspector.Inspect(disk).Open(null);
        Assert.That(fs, Is.InstanceOf<ExtFileSystem>());
        Assert.That(fs.Type, Is.EqualTo(expectedType));
        var n = SourceTree.AssertMatches(fs, src, ignore: Ignore);
        Assert.That(n, Is.GreaterThan(60));
        Assert.That(OsRelease.PrettyName(fs), Is.EqualTo(SourceTree.PrettyName));
        Assert.That(fs.ReadAllBytes("/long-link-over-sixty-bytes"), Is.EqualTo("the bottom\n"u8.ToArray()));
        Assert.That(fs.ReadAllBytes("/bootdir/grub/grub.cfg"), Is.EqualTo("set default=0\n"u8.ToArray()));
        if (options.Contains("inline_data"))
        {
            // The 100-byte file really is inline: 60 bytes in i_block, 40 in the system.data xattr.
            var stat = Peer.Check(Peer.Require("debugfs", "e2fsprogs"), "-R", "stat /size-100.bin", img);
            Assert.That(stat, Does.Contain("Size of inline data: 100"));
        }
    }

    [Test]
    public void Ext2_1KBlocks_SparseFilePastTripleIndirect_HolesReadAsZeros()
    {
        using var dir = new TempDir();
        // With 1 KiB blocks the triple-indirect map starts at logical block 65804 (64.3 MiB).
        var src = MakeSource(dir, sparse: [0, 13 * 1024, 300_000, 5_000_000, 70_000_000]);
        var img = Mke2fs(dir, src, "ext2", ["-b", "1024"]);
        using var disk = DiskImage.Open(img);
        var fs = (ExtFileSystem)DiskInspector.Inspect(disk).Open(null);
        Assert.That(fs.Superblock.BlockSize, Is.EqualTo(1024));
        SourceTree.AssertMatches(fs, src, ignore: Ignore);
    }

    [Test]
    public void Ext4_HtreeDirectory_ListsEveryNameWithDebugfsInodeNumbers()
    {
        using var dir = new TempDir();
        var src = MakeSource(dir, manyFiles: 3000);
        var img = Mke2fs(dir, src, "ext4", []);
        // mke2fs -d adds entries linearly; e2fsck -D rebuilds every directory, indexing the large ones.
        var e2fsck = Peer.Require("e2fsck", "e2fsprogs");
        var fsck = Peer.Run(e2fsck, ["-f", "-y", "-D", img]);
        Assert.That(fsck.ExitCode, Is.AnyOf(0, 1), fsck.StdOut + fsck.StdErr);
        var debugfs = Peer.Require("debugfs", "e2fsprogs");
        // The directory really is indexed: debugfs shows the htree flag (0x1000, "Flags: 0x...1000" with extents 0x80000).
        var stat = Peer.Check(debugfs, "-R", "stat /many", img);
        Assert.That(stat, Does.Match(@"Flags: 0x[0-9a-f]*1[0-9a-f]{3}\b"), stat);
        var ls = Peer.Check(debugfs, "-R", "ls -p /many", img);
        var expected = LsLine().Matches(ls).Select(m => (m.Groups[2].Value, long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Where(e => e.Item2 != 0 && e.Item1 is not "." and not "..").OrderBy(e => e.Item1, StringComparer.Ordinal).ToList();
        Assert.That(expected, Has.Count.EqualTo(3000));
        using var disk = DiskImage.Open(img);
        var fs = DiskInspector.Inspect(disk).Open(null);
        var ours = fs.List("/many").Select(e => (e.Name, e.Id)).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        Assert.That(ours, Is.EqualTo(expected));
        SourceTree.AssertMatches(fs, src, ignore: Ignore);
    }

    [GeneratedRegex(@"^/(\d+)/\d+/\d+/\d+/([^/]*)/", RegexOptions.Multiline)]
    private static partial Regex LsLine();

    [Test]
    public void DirectoryLinkedIntoItself_WalkGivesOneLineLoopError()
    {
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(Path.Combine(src, "a", "b"));
        File.WriteAllText(Path.Combine(src, "a", "b", "f"), "x");
        var img = Mke2fs(dir, src, "ext4", [], "16M");
        var debugfs = Peer.Require("debugfs", "e2fsprogs");
        Peer.Check(debugfs, "-w", "-R", "link /a /a/b/loop", img);
        using var disk = DiskImage.Open(img);
        var fs = DiskInspector.Inspect(disk).Open(null);
        var e = Assert.Throws<FileSystemFormatException>(() => fs.Walk("/").ToList());
        Assert.That(e!.Message, Does.Contain("directory loop").And.Contain("/a/b/loop").And.Not.Contain("\n"));
    }

    [Test]
    public void ExtentPastTheEndOfTheDisk_ReadGivesOneLineError()
    {
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(src);
        File.WriteAllBytes(Path.Combine(src, "f"), SourceTree.Random(new Random(1), 20000));
        var img = Mke2fs(dir, src, "ext4", [], "16M");
        var debugfs = Peer.Require("debugfs", "e2fsprogs");
        // i_block words: 0-2 the extent header, 3 ee_block, 4 ee_len | ee_start_hi << 16, 5 ee_start_lo.
        Peer.Check(debugfs, "-w", "-R", "sif /f block[5] 0x7ffffff0", img);
        using var disk = DiskImage.Open(img);
        var fs = DiskInspector.Inspect(disk).Open(null);
        var e = Assert.Throws<FileSystemFormatException>(() => fs.ReadAllBytes("/f"));
        Assert.That(e!.Message, Does.Contain("points past the end of the file system").And.Not.Contain("\n"));
    }

    [Test]
    public void InodeCountInTheBillions_OpenGivesOneLineError()
    {
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(src);
        var img = Mke2fs(dir, src, "ext4", [], "16M");
        using (var f = new FileStream(img, FileMode.Open))
        {
            f.Position = 1024;   // s_inodes_count
            f.Write(BitConverter.GetBytes(3_000_000_000u));
        }
        using var disk = DiskImage.Open(img);
        var layout = DiskInspector.Inspect(disk);
        var e = Assert.Throws<FileSystemFormatException>(() => layout.Open(null));
        Assert.That(e!.Message, Does.Contain("inode count 3000000000").And.Not.Contain("\n"));
    }

    [Test]
    public void UnknownIncompatFeature_IsRefusedByName()
    {
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(src);
        var img = Mke2fs(dir, src, "ext4", [], "16M");
        using (var f = new FileStream(img, FileMode.Open))
        {
            var b = new byte[4];
            f.Position = 1024 + 0x60;
            f.ReadExactly(b);
            var incompat = BitConverter.ToUInt32(b) | 0x1 | 0x80000000u;   // compression, and a bit nobody defined
            f.Position = 1024 + 0x60;
            f.Write(BitConverter.GetBytes(incompat));
        }
        using var disk = DiskImage.Open(img);
        var e = Assert.Throws<FileSystemFormatException>(() => DiskInspector.Inspect(disk).Open(null));
        Assert.That(e!.Message, Does.Contain("compression").And.Contain("unknown 0x80000000").And.Contain("not supported"));
    }

    [Test]
    public void UninitializedExtentAndHole_ReadAsZerosEvenOverStaleBytes()
    {
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(src);
        var data = SourceTree.Random(new Random(8), 40960);
        File.WriteAllBytes(Path.Combine(src, "f"), data);
        var img = Mke2fs(dir, src, "ext4", ["-b", "4096"], "8M");
        var debugfs = Peer.Require("debugfs", "e2fsprogs");
        // Blocks 20-39 allocated but unwritten (an uninitialized extent), 10-19 a hole, size 160 KiB.
        Peer.Check(debugfs, "-w", "-R", "fallocate /f 20 39", img);
        Peer.Check(debugfs, "-w", "-R", "sif /f size 163840", img);
        Assert.That(Peer.Check(debugfs, "-R", "stat /f", img), Does.Contain("(20-39[u]):"));
        var bmap = Peer.Check(debugfs, "-R", "bmap /f 25", img);
        Assert.That(bmap, Does.Contain("(uninit)"));
        var physical = long.Parse(bmap.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        // Stale bytes in the unwritten block must not show through.
        using (var f = new FileStream(img, FileMode.Open))
        {
            f.Position = physical * 4096;
            f.Write(Enumerable.Repeat((byte)0xFF, 4096).ToArray());
        }
        using var disk = DiskImage.Open(img);
        var fs = DiskInspector.Inspect(disk).Open(null);
        var read = fs.ReadAllBytes("/f");
        Assert.That(read, Has.Length.EqualTo(163840));
        Assert.That(read.AsSpan(0, 40960).SequenceEqual(data), Is.True);
        Assert.That(read.AsSpan(40960).IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
    }
}
