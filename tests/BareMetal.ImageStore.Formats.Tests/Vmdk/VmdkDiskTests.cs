using BareMetal.ImageStore.Formats.Vmdk;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Vmdk;

public class VmdkDiskTests
{
    private static VmdkTestImage Sample(bool compressed = false, bool footer = false)
    {
        var img = new VmdkTestImage { Compressed = compressed, GdInFooter = footer };
        img.Grains[0] = img.Pattern(1);
        img.Grains[1] = img.Pattern(2);
        img.Grains[7] = null;
        img.Grains[100] = img.Pattern(3);
        img.Grains[255] = img.Pattern(4);
        return img;
    }

    private static byte[] ReadAll(VirtualDisk disk)
    {
        var all = new byte[disk.Length];
        // Odd-sized reads cross grain boundaries on purpose.
        for (long pos = 0; pos < all.Length; pos += 5000)
        {
            var n = (int)Math.Min(5000, all.Length - pos);
            disk.Read(pos, all.AsSpan((int)pos, n));
        }
        return all;
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void Read_SparseImage_ReturnsGrainsAndZeros(bool compressed, bool footer)
    {
        using var dir = new TempDir();
        var img = Sample(compressed, footer);
        var path = dir.File("test.vmdk");
        File.WriteAllBytes(path, img.Build());
        using var disk = DiskImage.Open(path);
        Assert.That(disk.Format, Is.EqualTo(ImageFormat.Vmdk));
        Assert.That(disk.Length, Is.EqualTo(img.CapacitySectors * 512));
        Assert.That(ReadAll(disk), Is.EqualTo(img.Expected()));
    }

    [Test]
    public void Map_ReportsDataZeroedAndUnallocatedGrains()
    {
        using var dir = new TempDir();
        var img = Sample();
        var path = dir.File("test.vmdk");
        File.WriteAllBytes(path, img.Build());
        using var disk = DiskImage.Open(path);
        var map = disk.Map().ToList();
        var g = img.GrainBytes;
        Assert.That(map[0], Is.EqualTo(new DiskExtent(0, 2 * g, 0, true, false, true, img.GrainSector[0] * 512)));
        Assert.That(map.Single(e => e.Start == 7 * g), Is.EqualTo(new DiskExtent(7 * g, g, 0, true, true, false, null)));
        Assert.That(map.Single(e => e.Start == 2 * g), Is.EqualTo(new DiskExtent(2 * g, 5 * g, 0, false, true, false, null)));
        Assert.That(map.Sum(e => e.Length), Is.EqualTo(disk.Length));
    }

    [Test]
    public void Map_OfCompressedGrains_HasNoOffset()
    {
        using var dir = new TempDir();
        var path = dir.File("test.vmdk");
        File.WriteAllBytes(path, Sample(compressed: true).Build());
        using var disk = DiskImage.Open(path);
        var data = disk.Map().Where(e => e.Data).ToList();
        Assert.That(data, Is.Not.Empty);
        Assert.That(data.All(e => e.Offset is null && e.Compressed), Is.True);
    }

    [Test]
    public void Describe_ReportsSubformatGrainAndCid()
    {
        using var dir = new TempDir();
        var path = dir.File("test.vmdk");
        File.WriteAllBytes(path, Sample(compressed: true, footer: true).Build());
        using var disk = DiskImage.Open(path);
        var d = disk.Describe();
        Assert.That(d.Subformat, Is.EqualTo("streamOptimized"));
        Assert.That(d.ClusterSize, Is.EqualTo(8192));
        Assert.That(d.Features["compressed"], Is.EqualTo("true"));
        Assert.That(d.Features["cid"], Is.EqualTo("12345678"));
        Assert.That(d.BackingFile, Is.Null);
    }

    [Test]
    public void Read_DeltaDisk_FallsThroughToParentForUnallocatedGrains()
    {
        using var dir = new TempDir();
        var parent = new VmdkTestImage();
        parent.Grains[0] = parent.Pattern(10);
        parent.Grains[1] = parent.Pattern(11);
        parent.Grains[2] = parent.Pattern(12);
        File.WriteAllBytes(dir.File("parent.vmdk"), parent.Build());
        var child = new VmdkTestImage { ParentHint = "parent.vmdk" };
        child.Grains[1] = child.Pattern(20);
        child.Grains[2] = null;   // zeroed grain hides the parent
        File.WriteAllBytes(dir.File("child.vmdk"), child.Build());
        using var disk = DiskImage.Open(dir.File("child.vmdk"));
        var expected = parent.Expected();
        child.Grains[1]!.CopyTo(expected, child.GrainBytes);
        Array.Clear(expected, (int)(2 * child.GrainBytes), (int)child.GrainBytes);
        Assert.That(ReadAll(disk), Is.EqualTo(expected));
        Assert.That(disk.Describe().BackingFile, Is.EqualTo("parent.vmdk"));
        Assert.That(disk.Map().First().Depth, Is.EqualTo(1));
    }

    [Test]
    public void Read_DescriptorWithFlatZeroAndSparseExtents_ConcatenatesThem()
    {
        using var dir = new TempDir();
        var flat = new byte[64 * 512];
        new Random(5).NextBytes(flat);
        File.WriteAllBytes(dir.File("a-flat.vmdk"), [.. new byte[512], .. flat]);
        Directory.CreateDirectory(dir.File("sub"));
        var sparse = new VmdkTestImage { CapacitySectors = 256 };
        sparse.Grains[3] = sparse.Pattern(6);
        File.WriteAllBytes(dir.File("sub/b.vmdk"), sparse.Build());
        File.WriteAllText(dir.File("d.vmdk"),
            "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"custom\"\n" +
            "RW 64 FLAT \"a-flat.vmdk\" 1\nRDONLY 32 ZERO\nRW 256 SPARSE \"sub/b.vmdk\"\n");
        using var disk = DiskImage.Open(dir.File("d.vmdk"));
        Assert.That(disk.Length, Is.EqualTo((64 + 32 + 256) * 512));
        var expected = new byte[disk.Length];
        flat.CopyTo(expected, 0);
        sparse.Expected().CopyTo(expected, 96 * 512);
        Assert.That(ReadAll(disk), Is.EqualTo(expected));
        Assert.That(disk.Describe().Features["extents"], Is.EqualTo("3"));
        var sparseRun = disk.Map().Single(e => e.Start == (96 * 512) + (3 * sparse.GrainBytes));
        Assert.That(sparseRun.Offset, Is.EqualTo(sparse.GrainSector[3] * 512));
    }

    [Test]
    public void Open_Writable_IsRefusedAsReadOnly()
    {
        using var dir = new TempDir();
        var path = dir.File("test.vmdk");
        File.WriteAllBytes(path, Sample().Build());
        var e = Assert.Throws<ImageFormatException>(() => DiskImage.Open(path, new OpenOptions { Writable = true }));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.ReadOnly));
    }

    [Test]
    public void ParallelReads_OfCompressedImage_AllSeeTheSameBytes()
    {
        using var dir = new TempDir();
        var img = Sample(compressed: true);
        var path = dir.File("test.vmdk");
        File.WriteAllBytes(path, img.Build());
        using var disk = DiskImage.Open(path);
        var expected = img.Expected();
        Parallel.For(0, 64, i =>
        {
            var rng = new Random(i);
            var buf = new byte[3000];
            for (var k = 0; k < 50; k++)
            {
                var pos = rng.NextInt64(disk.Length - buf.Length);
                disk.Read(pos, buf);
                Assert.That(buf.AsSpan().SequenceEqual(expected.AsSpan((int)pos, buf.Length)), Is.True);
            }
        });
    }
}
