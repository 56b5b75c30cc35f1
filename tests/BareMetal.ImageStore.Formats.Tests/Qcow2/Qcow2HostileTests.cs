using System.Buffers.Binary;
using System.IO.Compression;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Qcow2;

/// <summary>Images that lie: every one must be refused with ImageFormatException and a specific message.</summary>
public class Qcow2HostileTests
{
    private static ImageFormatException Refused(string path, ImageError reason, string messagePart, string? reportedPath = null)
    {
        var e = Assert.Throws<ImageFormatException>(() => Qcow2TestImage.OpenReadAll(path));
        Assert.That(e!.Reason, Is.EqualTo(reason), e.Message);
        Assert.That(e.Message, Does.Contain(messagePart));
        Assert.That(e.Message, Does.StartWith((reportedPath ?? path) + ": qcow2: "));
        Assert.That(e.Message, Does.Not.Contain("\n"));
        return e;
    }

    [Test]
    public void TruncatedHeader_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("t.qcow2");
        Qcow2TestImage.Create(path);
        var bytes = File.ReadAllBytes(path).AsSpan(0, 60).ToArray();
        File.WriteAllBytes(path, bytes);
        Refused(path, ImageError.Truncated, "shorter than the 72-byte");
    }

    [Test]
    public void TruncatedV3Header_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("t.qcow2");
        Qcow2TestImage.Create(path);
        File.WriteAllBytes(path, File.ReadAllBytes(path).AsSpan(0, 90).ToArray());
        Refused(path, ImageError.Truncated, "104-byte qcow2 v3 header");
    }

    [Test]
    public void L1TablePastEndOfFile_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("l1.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU64(path, Qcow2TestImage.L1OffsetField, 1UL << 40);
        Refused(path, ImageError.PointerOutOfRange, "L1 table at 1099511627776");
    }

    [Test]
    public void L2TablePastEndOfFile_IsRefusedOnRead()
    {
        using var dir = new TempDir();
        var path = dir.File("l2.qcow2");
        Qcow2TestImage.Create(path);
        var l1Offset = (long)Qcow2TestImage.ReadU64(path, Qcow2TestImage.L1OffsetField);
        Qcow2TestImage.PatchU64(path, l1Offset, (1UL << 63) | (1UL << 40));
        Refused(path, ImageError.PointerOutOfRange, "L2 table for guest offset 0 at host offset 1099511627776 is past the end");
    }

    [Test]
    public void DataClusterPastEndOfFile_IsRefusedOnRead()
    {
        using var dir = new TempDir();
        var path = dir.File("d.qcow2");
        Qcow2TestImage.Create(path);
        var l1Offset = (long)Qcow2TestImage.ReadU64(path, Qcow2TestImage.L1OffsetField);
        var l2 = (long)(Qcow2TestImage.ReadU64(path, l1Offset) & Qcow2Entry.OffsetMask);
        Qcow2TestImage.PatchU64(path, l2, (1UL << 63) | (1UL << 40));
        Refused(path, ImageError.PointerOutOfRange, "data cluster for guest offset 0 at host offset 1099511627776 is past the end");
    }

    [Test]
    public void UnalignedDataCluster_IsRefusedOnRead()
    {
        using var dir = new TempDir();
        var path = dir.File("u.qcow2");
        Qcow2TestImage.Create(path);
        var l1Offset = (long)Qcow2TestImage.ReadU64(path, Qcow2TestImage.L1OffsetField);
        var l2 = (long)(Qcow2TestImage.ReadU64(path, l1Offset) & Qcow2Entry.OffsetMask);
        Qcow2TestImage.PatchU64(path, l2, (1UL << 63) | 4608);
        Refused(path, ImageError.PointerOutOfRange, "unaligned host offset 4608");
    }

    [TestCase(8u)]
    [TestCase(22u)]
    [TestCase(63u)]
    public void ClusterBitsOutOfRange_IsRefused(uint bits)
    {
        using var dir = new TempDir();
        var path = dir.File("cb.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU32(path, Qcow2TestImage.ClusterBitsField, bits);
        Refused(path, ImageError.SizeOutOfRange, $"cluster_bits {bits} is outside 9..21");
    }

    [TestCase(0x7fff_ffff_ffff_f000UL)]
    [TestCase(0xffff_ffff_ffff_ffffUL)]
    public void VirtualSizeNear2To63_IsRefused(ulong size)
    {
        using var dir = new TempDir();
        var path = dir.File("vs.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU64(path, Qcow2TestImage.SizeField, size);
        Refused(path, ImageError.SizeOutOfRange, $"virtual size {size} exceeds the limit");
    }

    [Test]
    public void L1SizeClaimingGigabytes_IsRefusedBeforeAllocating()
    {
        using var dir = new TempDir();
        var path = dir.File("l1big.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU32(path, Qcow2TestImage.L1SizeField, 0x2000_0000);
        Refused(path, ImageError.SizeOutOfRange, "L1 table of 536870912 entries");
    }

    [Test]
    public void L1SizeTooSmallForVirtualSize_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("l1small.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU64(path, Qcow2TestImage.SizeField, 1UL << 40);
        Refused(path, ImageError.BadHeader, "needs");
    }

    [Test]
    public void UnknownIncompatibleFeature_IsRefusedNamingTheBit()
    {
        using var dir = new TempDir();
        var path = dir.File("inc.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU64(path, Qcow2TestImage.IncompatibleField, 1UL << 9);
        Refused(path, ImageError.Unsupported, "unknown incompatible features: bit 9");
    }

    [TestCase(1u, "AES")]
    [TestCase(2u, "LUKS")]
    public void Encryption_IsRefused(uint method, string name)
    {
        using var dir = new TempDir();
        var path = dir.File("enc.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU32(path, Qcow2TestImage.CryptField, method);
        Refused(path, ImageError.Unsupported, $"encryption (crypt_method={method}, {name})");
    }

    [Test]
    public void ExternalDataFile_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("df.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU64(path, Qcow2TestImage.IncompatibleField, Qcow2Header.IncompatDataFile);
        Refused(path, ImageError.Unsupported, "external data file");
    }

    [Test]
    public void Zstd_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("z.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU64(path, Qcow2TestImage.IncompatibleField, Qcow2Header.IncompatCompression);
        Qcow2TestImage.Patch(path, 104, [Qcow2Header.CompressionZstd]);
        Refused(path, ImageError.Unsupported, "zstd");
    }

    /// <summary>Creates an image naming <paramref name="backingName"/> (made to exist while creating), then moves it to <paramref name="path"/>.</summary>
    private static void CreateWithBacking(TempDir dir, string path, string backingName)
    {
        var staging = Path.Combine(dir.Path, "staging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        Qcow2Writer.Create(Path.Combine(staging, backingName), 1 << 20, 4096).Dispose();
        var made = Path.Combine(staging, "made.qcow2");
        Qcow2Writer.Create(made, 1 << 20, 4096, backingName, ImageFormat.Qcow2).Dispose();
        File.Move(made, path, overwrite: true);
    }

    [Test]
    public void SelfReferencingBackingFile_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("self.qcow2");
        CreateWithBacking(dir, path, "self.qcow2");
        Refused(path, ImageError.BadBackingChain, "backing chain loops back");
    }

    [Test]
    public void CyclicBackingChain_IsRefused()
    {
        using var dir = new TempDir();
        var a = dir.File("a.qcow2");
        var b = dir.File("b.qcow2");
        CreateWithBacking(dir, a, "b.qcow2");
        CreateWithBacking(dir, b, "a.qcow2");
        var e = Refused(a, ImageError.BadBackingChain, "backing chain loops back", reportedPath: b);
        Assert.That(e.Message, Does.Contain("a.qcow2 -> "));
    }

    [Test]
    public void MissingBackingFile_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("orphan.qcow2");
        CreateWithBacking(dir, path, "gone.qcow2");
        Refused(path, ImageError.BadBackingChain, "backing file 'gone.qcow2' not found");
    }

    [Test]
    public void Create_WithMissingBacking_LeavesNoFile()
    {
        using var dir = new TempDir();
        var path = dir.File("nob.qcow2");
        Assert.Throws<ImageFormatException>(() => Qcow2Writer.Create(path, 1 << 20, 4096, "nothere.raw", ImageFormat.Raw));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void CorruptCompressedCluster_IsRefusedOnRead()
    {
        using var dir = new TempDir();
        var path = dir.File("cc.qcow2");
        Qcow2TestImage.Create(path);
        var l1Offset = (long)Qcow2TestImage.ReadU64(path, Qcow2TestImage.L1OffsetField);
        var l2 = (long)(Qcow2TestImage.ReadU64(path, l1Offset) & Qcow2Entry.OffsetMask);
        // Point guest cluster 0 at 600 bytes of 0xff "compressed data" at the start of its data cluster.
        var data = (long)(Qcow2TestImage.ReadU64(path, l2) & Qcow2Entry.OffsetMask);
        Qcow2TestImage.Patch(path, data, Qcow2TestImage.Fill(600, 0xff));
        Qcow2TestImage.PatchU64(path, l2, Qcow2Entry.MakeCompressed(data, 600, 12));
        Refused(path, ImageError.BadCompressedData, $"compressed cluster at host offset {data}");
    }

    [Test]
    public void CompressedCluster_ValidDeflate_ReadsBack()
    {
        using var dir = new TempDir();
        var path = dir.File("ok.qcow2");
        Qcow2TestImage.Create(path);
        var l1Offset = (long)Qcow2TestImage.ReadU64(path, Qcow2TestImage.L1OffsetField);
        var l2 = (long)(Qcow2TestImage.ReadU64(path, l1Offset) & Qcow2Entry.OffsetMask);
        var data = (long)(Qcow2TestImage.ReadU64(path, l2) & Qcow2Entry.OffsetMask);
        var plain = new byte[4096];
        for (var i = 0; i < plain.Length; i++)
        {
            plain[i] = (byte)(i % 251);
        }
        using var ms = new MemoryStream();
        using (var deflate = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(plain);
        }
        var packed = ms.ToArray();
        Qcow2TestImage.Patch(path, data + 100, packed);
        Qcow2TestImage.PatchU64(path, l2, Qcow2Entry.MakeCompressed(data + 100, packed.Length, 12));
        using var disk = DiskImage.Open(path);
        var back = new byte[4096];
        disk.Read(0, back);
        Assert.That(back, Is.EqualTo(plain));
        var first = disk.Map().First();
        Assert.That(first.Compressed && first.Data && first.Offset is null, Is.True);
    }

    [Test]
    public void CorruptBit_AllowsReadingButRefusesWriting()
    {
        using var dir = new TempDir();
        var path = dir.File("corrupt.qcow2");
        Qcow2TestImage.Create(path);
        Qcow2TestImage.PatchU64(path, Qcow2TestImage.IncompatibleField, Qcow2Header.IncompatCorrupt);
        Qcow2TestImage.OpenReadAll(path);
        var e = Assert.Throws<ImageFormatException>(() => DiskImage.Open(path, new OpenOptions { Writable = true }).Dispose());
        Assert.That(e!.Message, Does.Contain("marked corrupt"));
    }

    [Test]
    public void HeaderExtensionPastFirstCluster_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("ext.qcow2");
        Qcow2TestImage.Create(path);
        var ext = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(ext, 0x12345678);
        BinaryPrimitives.WriteUInt32BigEndian(ext.AsSpan(4), 0x7fff_0000);
        Qcow2TestImage.Patch(path, Qcow2Header.V3WrittenLength, ext);
        Refused(path, ImageError.BadHeader, "header extension 0x12345678");
    }

    [Test]
    public void Check_ReportsLeakAndCorruption()
    {
        using var dir = new TempDir();
        var path = dir.File("chk.qcow2");
        Qcow2TestImage.Create(path);
        var l1Offset = (long)Qcow2TestImage.ReadU64(path, Qcow2TestImage.L1OffsetField);
        var l2 = (long)(Qcow2TestImage.ReadU64(path, l1Offset) & Qcow2Entry.OffsetMask);
        var e0 = Qcow2TestImage.ReadU64(path, l2);
        // Guest cluster 1 now shares guest cluster 0's host cluster: refcount 1, two references.
        Qcow2TestImage.PatchU64(path, l2 + 8, e0);
        using (var disk = DiskImage.Open(path))
        {
            var report = disk.Check();
            Assert.That(report.Corruptions, Is.GreaterThan(0));
            Assert.That(report.Findings.Any(f => f.Message.Contains("refcount=1 reference=2", StringComparison.Ordinal)), Is.True,
                string.Join("\n", report.Findings));
        }
        // Undo, then drop the reference to guest cluster 64 KiB's data: its cluster leaks.
        Qcow2TestImage.PatchU64(path, l2 + 8, 0);
        Qcow2TestImage.PatchU64(path, l2 + (16 * 8), 0);
        using (var disk = DiskImage.Open(path))
        {
            var report = disk.Check();
            Assert.That(report.Corruptions, Is.EqualTo(0), string.Join("\n", report.Findings));
            Assert.That(report.Leaks, Is.EqualTo(1), string.Join("\n", report.Findings));
        }
    }
}
