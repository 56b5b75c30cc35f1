using System.Text.Json;
using BareMetal.ImageStore.Formats;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Vmdk;

/// <summary>
/// VMDKs made at test time by qemu-img / qemu-io, read by us and by qemu-img: the whole virtual disk
/// must be byte-identical and the maps must agree.
/// </summary>
public class VmdkInteropTests
{
    private static string QemuImg => Peer.Require("qemu-img", "qemu-utils");
    private static string QemuIo => Peer.Require("qemu-io", "qemu-utils");

    /// <summary>qemu-io writes exercising whole grains, partial grains, grain-table boundaries and zero writes.</summary>
    private static readonly string[] Writes =
    [
        "write -P 0x5a 1M 192k",
        "write -P 0x11 3000 5000",
        "write -P 0x22 32M 64k",
        "write -z 4M 128k",
        "write -P 0x33 40M 4k",
    ];

    private static void QemuIoWrites(string path, params string[] extra)
    {
        var args = new List<string> { "-f", "vmdk" };
        foreach (var w in Writes.Concat(extra))
        {
            args.Add("-c");
            args.Add(w);
        }
        args.Add(path);
        Peer.Check(QemuIo, [.. args]);
    }

    /// <summary>Converts with both tools and asserts equal bytes (SHA-256 for small disks, qemu-img compare for big sparse ones).</summary>
    private static void AssertConvertMatches(TempDir dir, string image, bool big = false)
    {
        Peer.Check(QemuImg, "convert", "-f", "vmdk", "-O", "raw", image, dir.File("theirs.raw"));
        var r = Cli.Run("image", "convert", image, dir.File("ours.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        if (big)
        {
            // Multi-GiB sparse disks: qemu-img compare skips holes, hashing would read gigabytes of zeros.
            var cmp = Peer.Run(QemuImg, ["compare", "-f", "raw", "-F", "raw", dir.File("ours.raw"), dir.File("theirs.raw")]);
            Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
            Assert.That(new FileInfo(dir.File("ours.raw")).Length, Is.EqualTo(new FileInfo(dir.File("theirs.raw")).Length));
        }
        else
        {
            Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(dir.File("theirs.raw"))));
        }
    }

    /// <summary>qemu-img check and our verify agree that what qemu wrote is clean.</summary>
    private static void AssertVerifyClean(string image)
    {
        Peer.Check(QemuImg, "check", "-f", "vmdk", image);
        var r = Cli.Run("image", "verify", image);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdOut + r.StdErr);
        Assert.That(r.StdOut, Does.Contain("No errors were found"));
    }

    private static void AssertMapMatches(string image)
    {
        var expected = Peer.Check(QemuImg, "map", "--output=json", "-f", "vmdk", image);
        var actual = Cli.Run("image", "map", "--json", image);
        Assert.That(actual.ExitCode, Is.EqualTo(0), actual.StdErr);
        Assert.That(actual.StdOut, Is.EqualTo(expected));
    }

    /// <summary>
    /// Flat extents: qemu asks the extent file's block status and reports holes as "zero": true while
    /// keeping "data": true. Our maps say the same, so the whole map must be equal.
    /// </summary>
    private static void AssertFlatMapMatches(string image)
    {
        var expected = Parse(Peer.Check(QemuImg, "map", "--output=json", "-f", "vmdk", image));
        var actual = Cli.Run("image", "map", "--json", image);
        Assert.That(actual.ExitCode, Is.EqualTo(0), actual.StdErr);
        Assert.That(Parse(actual.StdOut), Is.EqualTo(expected));
        Assert.That(expected.Any(e => e.Zero && e.Data), Is.True, "the fixture has holes qemu maps as zero and data");
    }

    private sealed record MapEntry(long Start, long Length, int Depth, bool Present, bool Zero, bool Data, long? Offset);

    private static List<MapEntry> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(e => new MapEntry(
            e.GetProperty("start").GetInt64(), e.GetProperty("length").GetInt64(), e.GetProperty("depth").GetInt32(),
            e.GetProperty("present").GetBoolean(), e.GetProperty("zero").GetBoolean(), e.GetProperty("data").GetBoolean(),
            e.TryGetProperty("offset", out var o) ? o.GetInt64() : null))];
    }

    [TestCase(true)]
    [TestCase(false)]
    public void MonolithicSparse_ConvertAndMap_EqualQemu(bool zeroedGrain)
    {
        using var dir = new TempDir();
        var image = dir.File("disk.vmdk");
        Peer.Check(QemuImg, "create", "-f", "vmdk", "-o", $"subformat=monolithicSparse,zeroed_grain={(zeroedGrain ? "on" : "off")}", image, "64M");
        QemuIoWrites(image);
        AssertConvertMatches(dir, image);
        AssertMapMatches(image);
        AssertVerifyClean(image);
        using var disk = DiskImage.Open(image);
        Assert.That(disk.Describe().Subformat, Is.EqualTo("monolithicSparse"));
        Assert.That(disk.Describe().Features["zeroed-grain"], Is.EqualTo(zeroedGrain ? "true" : "false"));
        if (zeroedGrain)
        {
            Assert.That(disk.Map().Any(e => e.Present && e.Zero && !e.Data), Is.True, "write -z made zeroed grains");
        }
    }

    [Test]
    public void MonolithicFlat_ConvertAndMap_EqualQemu()
    {
        using var dir = new TempDir();
        var image = dir.File("disk.vmdk");
        Peer.Check(QemuImg, "create", "-f", "vmdk", "-o", "subformat=monolithicFlat", image, "48M");
        QemuIoWrites(image);
        AssertConvertMatches(dir, image);
        AssertFlatMapMatches(image);
    }

    [Test]
    public void TwoGbMaxExtentSparse_SpansTwoExtents_AndEqualsQemu()
    {
        using var dir = new TempDir();
        var image = dir.File("disk.vmdk");
        Peer.Check(QemuImg, "create", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", image, "2112M");
        QemuIoWrites(image, "write -P 0x44 2047M 2M", "write -P 0x55 2100M 64k");
        Assert.That(File.Exists(dir.File("disk-s002.vmdk")), Is.True, "qemu split the disk at 2 GiB");
        AssertConvertMatches(dir, image, big: true);
        AssertMapMatches(image);
        AssertVerifyClean(image);
        using var disk = DiskImage.Open(image);
        Assert.That(disk.Describe().Features["extents"], Is.EqualTo("2"));
    }

    [Test]
    public void TwoGbMaxExtentFlat_SpansTwoExtents_AndEqualsQemu()
    {
        using var dir = new TempDir();
        var image = dir.File("disk.vmdk");
        Peer.Check(QemuImg, "create", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentFlat", image, "2112M");
        QemuIoWrites(image, "write -P 0x44 2047M 2M", "write -P 0x55 2100M 64k");
        Assert.That(File.Exists(dir.File("disk-f002.vmdk")), Is.True, "qemu split the disk at 2 GiB");
        AssertConvertMatches(dir, image, big: true);
        AssertFlatMapMatches(image);
    }

    [Test]
    public void StreamOptimized_FromRawWithPatterns_EqualsQemu()
    {
        using var dir = new TempDir();
        var raw = dir.File("src.raw");
        var bytes = new byte[24 << 20];
        new Random(42).NextBytes(bytes.AsSpan(0, 300_000));                 // incompressible
        bytes.AsSpan(5 << 20, 1 << 20).Fill(0x5a);                           // very compressible
        new Random(7).NextBytes(bytes.AsSpan((20 << 20) + 1234, 70_000));    // straddles grains
        File.WriteAllBytes(raw, bytes);
        var image = dir.File("disk.vmdk");
        Peer.Check(QemuImg, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, image);
        AssertConvertMatches(dir, image);
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(raw)));
        AssertMapMatches(image);
        AssertVerifyClean(image);
        using var disk = DiskImage.Open(image);
        Assert.That(disk.Describe().Subformat, Is.EqualTo("streamOptimized"));
        Assert.That(disk.Describe().Features["compressed"], Is.EqualTo("true"));
    }

    [Test]
    public void DeltaDisk_WithParentFileNameHint_EqualsQemu()
    {
        using var dir = new TempDir();
        var baseImage = dir.File("base.vmdk");
        Peer.Check(QemuImg, "create", "-f", "vmdk", baseImage, "16M");
        Peer.Check(QemuIo, "-f", "vmdk", "-c", "write -P 1 0 2M", "-c", "write -P 3 8M 1M", baseImage);
        var top = dir.File("top.vmdk");
        Peer.Check(QemuImg, "create", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", top);
        Peer.Check(QemuIo, "-f", "vmdk", "-c", "write -P 2 512k 64k", "-c", "write -P 4 8M 4k", top);
        AssertConvertMatches(dir, top);
        AssertMapMatches(top);
        using var disk = DiskImage.Open(top);
        Assert.That(disk.Backing, Is.Not.Null);
        Assert.That(disk.Describe().BackingFile, Is.EqualTo("base.vmdk"));
    }

    [Test]
    public void Info_AgreesWithVmdkinfoOnMediaSize()
    {
        var vmdkinfo = Peer.Require("vmdkinfo", "libvmdk-utils");
        using var dir = new TempDir();
        var image = dir.File("disk.vmdk");
        Peer.Check(QemuImg, "create", "-f", "vmdk", "-o", "subformat=monolithicSparse", image, "40M");
        var theirs = Peer.Check(vmdkinfo, image);
        using var disk = DiskImage.Open(image);
        Assert.That(theirs, Does.Contain($"{disk.Length} bytes"));
        Assert.That(theirs, Does.Contain("Monolithic sparse").IgnoreCase.Or.Contain("monolithicSparse"));
    }

    [Test]
    public void CorruptGrainTablePointer_ViaCli_PrintsOneLineAndExits2()
    {
        using var dir = new TempDir();
        var image = dir.File("disk.vmdk");
        Peer.Check(QemuImg, "create", "-f", "vmdk", image, "8M");
        Peer.Check(QemuIo, "-f", "vmdk", "-c", "write -P 1 0 64k", image);
        // Grain directory sector from the header (u64 at 56), first entry -> far past the end.
        var bytes = File.ReadAllBytes(image);
        var gd = (int)BitConverter.ToInt64(bytes, 56) * 512;
        BitConverter.TryWriteBytes(bytes.AsSpan(gd), 0x7ffffff0u);
        File.WriteAllBytes(image, bytes);
        foreach (var verb in new[] { "map", "convert" })
        {
            var r = verb == "map" ? Cli.Run("image", "map", "--json", image) : Cli.Run("image", "convert", image, dir.File("o.raw"));
            Assert.That(r.ExitCode, Is.EqualTo(2), r.StdErr);
            Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1), r.StdErr);
            Assert.That(r.StdErr, Does.Contain(image).And.Contain("vmdk").And.Contain("grain table"));
        }
    }

    [Test]
    public void EscapingExtent_ViaCli_PrintsOneLineAndExits2()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("d"));
        File.WriteAllBytes(dir.File("secret.raw"), new byte[4096]);
        var image = dir.File("d/disk.vmdk");
        File.WriteAllText(image, "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\nRW 8 FLAT \"../secret.raw\" 0\n");
        var r = Cli.Run("image", "info", image);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("outside the descriptor's directory"));
    }
}
