using System.Buffers.Binary;
using System.Text;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Vmdk;

/// <summary>Corrupt and lying VMDKs: each must give one specific ImageFormatException, never another exception.</summary>
public class VmdkHostileTests
{
    private static (VmdkTestImage Image, byte[] Bytes) Sample(bool compressed = false, bool footer = false)
    {
        var img = new VmdkTestImage { Compressed = compressed, GdInFooter = footer };
        img.Grains[0] = img.Pattern(1);
        img.Grains[9] = img.Pattern(2);
        return (img, img.Build());
    }

    /// <summary>Opens the bytes and reads the whole disk; returns the refusal.</summary>
    private static ImageFormatException Refusal(byte[] bytes)
    {
        using var dir = new TempDir();
        var path = dir.File("test.vmdk");
        File.WriteAllBytes(path, bytes);
        return Refusal(path);
    }

    private static ImageFormatException Refusal(string path)
    {
        var e = Assert.Throws<ImageFormatException>(() =>
        {
            using var disk = DiskImage.Open(path);
            var buf = new byte[disk.Length];
            disk.Read(0, buf);
        });
        Assert.That(e!.Message, Does.StartWith(path + ": vmdk: "));
        Assert.That(e.Message, Does.Not.Contain('\n'));
        return e;
    }

    [Test]
    public void TruncatedHeader_IsRefusedAsTruncated()
    {
        var (_, bytes) = Sample();
        var e = Refusal(bytes[..100]);
        Assert.That(e.Reason, Is.EqualTo(ImageError.Truncated));
    }

    [TestCase(0u)]
    [TestCase(4u)]
    public void UnknownVersion_IsRefusedAsUnsupported(uint version)
    {
        var (_, bytes) = Sample();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), version);
        Assert.That(Refusal(bytes).Reason, Is.EqualTo(ImageError.Unsupported));
    }

    [TestCase(0UL)]
    [TestCase(3UL)]
    [TestCase(1UL << 30)]
    public void BadGrainSize_IsRefusedAsSizeOutOfRange(ulong grain)
    {
        var (_, bytes) = Sample();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(20), grain);
        var e = Refusal(bytes);
        Assert.That(e.Reason, Is.EqualTo(ImageError.SizeOutOfRange));
        Assert.That(e.Problem, Does.Contain("grain size"));
    }

    [TestCase(0u)]
    [TestCase(100_000u)]
    public void BadGtesPerGt_IsRefused(uint gtes)
    {
        var (_, bytes) = Sample();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(44), gtes);
        Assert.That(Refusal(bytes).Reason, Is.EqualTo(ImageError.SizeOutOfRange));
    }

    [Test]
    public void CapacityNear2Pow63_IsRefused()
    {
        var (_, bytes) = Sample();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), 1UL << 60);
        var e = Refusal(bytes);
        Assert.That(e.Reason, Is.EqualTo(ImageError.SizeOutOfRange));
        Assert.That(e.Problem, Does.Contain("capacity"));
    }

    [Test]
    public void CapacityNeedingAHugeGrainDirectory_IsRefusedWithoutAllocatingIt()
    {
        var (_, bytes) = Sample();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), 1UL << 50);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Refusal(bytes);
        Assert.That(e.Problem, Does.Contain("grain directory"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16 << 20));
    }

    [Test]
    public void GrainDirectoryPastEndOfFile_IsRefused()
    {
        var (_, bytes) = Sample();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(56), 1_000_000);
        Assert.That(Refusal(bytes).Reason, Is.EqualTo(ImageError.PointerOutOfRange));
    }

    [Test]
    public void GrainTablePointerPastEndOfFile_IsRefusedOnRead()
    {
        var (img, bytes) = Sample();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)img.GdSector * 512), 0x7fffffff);
        var e = Refusal(bytes);
        Assert.That(e.Reason, Is.EqualTo(ImageError.PointerOutOfRange));
        Assert.That(e.Problem, Does.Contain("grain table at sector 2147483647"));
    }

    [Test]
    public void GrainPointerPastEndOfFile_IsRefusedOnRead()
    {
        var (img, bytes) = Sample();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)(img.FirstGtSector * 512) + (9 * 4)), 0x00ffffff);
        var e = Refusal(bytes);
        Assert.That(e.Reason, Is.EqualTo(ImageError.PointerOutOfRange));
        Assert.That(e.Problem, Does.Contain("entry 9"));
    }

    [Test]
    public void TextModeLineEnds_AreDetected()
    {
        var (_, bytes) = Sample();
        bytes[75] = (byte)'\n';
        Assert.That(Refusal(bytes).Problem, Does.Contain("text mode"));
    }

    [Test]
    public void UnknownCompressionAlgorithm_IsRefusedAsUnsupported()
    {
        var (_, bytes) = Sample(compressed: true);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(77), 2);
        Assert.That(Refusal(bytes).Reason, Is.EqualTo(ImageError.Unsupported));
    }

    [Test]
    public void GrainMarkerWithWrongLba_IsRefusedAsBadCompressedData()
    {
        var (img, bytes) = Sample(compressed: true);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)img.GrainSector[9] * 512), 12345);
        var e = Refusal(bytes);
        Assert.That(e.Reason, Is.EqualTo(ImageError.BadCompressedData));
        Assert.That(e.Problem, Does.Contain("lba 12345"));
    }

    [Test]
    public void GarbageCompressedGrain_IsRefusedAsBadCompressedData()
    {
        var (img, bytes) = Sample(compressed: true);
        var at = (int)img.GrainSector[0] * 512;
        for (var i = at + 12; i < at + 40; i++)
        {
            bytes[i] = 0xFF;
        }
        Assert.That(Refusal(bytes).Reason, Is.EqualTo(ImageError.BadCompressedData));
    }

    [Test]
    public void GrainMarkerClaimingHugeSize_IsRefused()
    {
        var (img, bytes) = Sample(compressed: true);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(((int)img.GrainSector[0] * 512) + 8), 0x7fffffff);
        Assert.That(Refusal(bytes).Reason, Is.EqualTo(ImageError.BadCompressedData));
    }

    [Test]
    public void FooterWithoutMarkers_IsRefused()
    {
        var (_, bytes) = Sample(compressed: true, footer: true);
        bytes[bytes.Length - 1536 + 12] = 7;   // footer marker type
        var e = Refusal(bytes);
        Assert.That(e.Reason, Is.EqualTo(ImageError.BadHeader));
        Assert.That(e.Problem, Does.Contain("footer markers"));
    }

    [Test]
    public void ParentHintNamingItself_IsRefusedAsCycle()
    {
        var img = new VmdkTestImage { ParentHint = "test.vmdk" };
        Assert.That(Refusal(img.Build()).Reason, Is.EqualTo(ImageError.BadBackingChain));
    }

    private static ImageFormatException DescriptorRefusal(string extentLines, Action<TempDir>? setup = null)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("d"));
        setup?.Invoke(dir);
        var path = dir.File("d/disk.vmdk");
        File.WriteAllText(path, "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n" + extentLines);
        return Refusal(path);
    }

    [TestCase("RW 8 FLAT \"../outside.raw\" 0")]
    [TestCase("RW 8 FLAT \"sub/../../outside.raw\" 0")]
    [TestCase("RW 8 FLAT \"/etc/passwd\" 0")]
    public void ExtentEscapingTheDescriptorDirectory_IsRefused(string line)
    {
        var e = DescriptorRefusal(line + "\n", dir => File.WriteAllBytes(dir.File("outside.raw"), new byte[4096]));
        Assert.That(e.Reason, Is.EqualTo(ImageError.PointerOutOfRange));
    }

    [Test]
    public void MissingExtentFile_IsRefusedNamingIt()
    {
        var e = DescriptorRefusal("RW 8 FLAT \"gone-flat.vmdk\" 0\n");
        Assert.That(e.Reason, Is.EqualTo(ImageError.BadBackingChain));
        Assert.That(e.Problem, Does.Contain("'gone-flat.vmdk' not found"));
    }

    [Test]
    public void UrlExtent_IsRefusedAsUnsupported()
    {
        Assert.That(DescriptorRefusal("RW 8 FLAT \"http://example.invalid/x\" 0\n").Reason, Is.EqualTo(ImageError.Unsupported));
    }

    [Test]
    public void FlatExtentLongerThanItsFile_IsRefused()
    {
        var e = DescriptorRefusal("RW 100 FLAT \"f.raw\" 0\n", dir => File.WriteAllBytes(dir.File("d/f.raw"), new byte[4096]));
        Assert.That(e.Reason, Is.EqualTo(ImageError.PointerOutOfRange));
        Assert.That(e.Problem, Does.Contain("needs 51200 bytes"));
    }

    [Test]
    public void SparseExtentLongerThanItsHeader_IsRefused()
    {
        var e = DescriptorRefusal("RW 999999 SPARSE \"s.vmdk\"\n", dir => File.WriteAllBytes(dir.File("d/s.vmdk"), new VmdkTestImage().Build()));
        Assert.That(e.Reason, Is.EqualTo(ImageError.SizeOutOfRange));
        Assert.That(e.Problem, Does.Contain("claims 999999 sectors"));
    }

    [Test]
    public void DescriptorWithoutExtents_IsRefused()
    {
        Assert.That(DescriptorRefusal("ddb.adapterType = \"ide\"\n").Problem, Does.Contain("no extents"));
    }

    [Test]
    public void HugeDescriptorFile_IsRefusedBeforeReading()
    {
        using var dir = new TempDir();
        var path = dir.File("big.vmdk");
        var sb = new StringBuilder("# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\n");
        sb.Append('#', (2 << 20));
        File.WriteAllText(path, sb.ToString());
        Assert.That(Refusal(path).Reason, Is.EqualTo(ImageError.SizeOutOfRange));
    }
}
