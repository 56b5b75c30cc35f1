using System.Buffers.Binary;
using BareMetal.ImageStore.Formats.Vhd;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Vhd;

public class VhdDiskTests
{
    private static byte[] Pattern(byte value, int length = 512) => Enumerable.Repeat(value, length).ToArray();

    private static VirtualDisk OpenBytes(TempDir dir, byte[] bytes, string name = "disk.vhd", OpenOptions? options = null)
    {
        var path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        return DiskImage.Open(path, options);
    }

    private static ImageFormatException Refused(byte[] bytes, ImageError reason)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.vhd");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ImageFormatException>(() => DiskImage.Open(path, new OpenOptions { Format = ImageFormat.Vhd }).Dispose())!;
        Assert.That(e.Reason, Is.EqualTo(reason), e.Message);
        Assert.That(e.Message, Does.StartWith(path + ": vpc: "));
        Assert.That(e.Message, Does.Not.Contain('\n'));
        return e;
    }

    private static byte[] ReadAll(VirtualDisk disk)
    {
        var buf = new byte[disk.Length];
        disk.Read(0, buf);
        return buf;
    }

    private static VhdImageBuilder Dynamic() => new() { VirtualSize = 8 << 20, BlockSize = 1 << 20 };

    [Test]
    public void Dynamic_ReadsWrittenSectors_AndZerosElsewhere()
    {
        var b = Dynamic();
        b.Sectors[0] = Pattern(0x11);
        b.Sectors[2049] = Pattern(0x22);
        b.Sectors[(7 << 11) + 2047] = Pattern(0x33);
        using var dir = new TempDir();
        using var disk = OpenBytes(dir, b.BuildDynamic());
        Assert.That(disk.Format, Is.EqualTo(ImageFormat.Vhd));
        Assert.That(disk.Length, Is.EqualTo(8 << 20));
        var all = ReadAll(disk);
        Assert.That(all.AsSpan(0, 512).IndexOfAnyExcept((byte)0x11), Is.EqualTo(-1));
        Assert.That(all.AsSpan(2049 * 512, 512).IndexOfAnyExcept((byte)0x22), Is.EqualTo(-1));
        Assert.That(all.AsSpan(((7 << 11) + 2047) * 512, 512).IndexOfAnyExcept((byte)0x33), Is.EqualTo(-1));
        var nonZero = all.Count(x => x != 0);
        Assert.That(nonZero, Is.EqualTo(3 * 512));
        Assert.That(disk.Describe().Subformat, Is.EqualTo("dynamic"));
        Assert.That(disk.Describe().ClusterSize, Is.EqualTo(1 << 20));
    }

    [Test]
    public void Dynamic_Map_ReportsBitmapSetSectorsAsData_AndTheRestAsPresentZeros()
    {
        var b = Dynamic();
        b.Sectors[8] = Pattern(1);
        b.Sectors[9] = Pattern(1);
        using var dir = new TempDir();
        using var disk = OpenBytes(dir, b.BuildDynamic());
        var map = disk.Map().ToList();
        Assert.That(map[0], Is.EqualTo(new DiskExtent(0, 4096, 0, true, true, false, null)));
        Assert.That(map[1].Start, Is.EqualTo(4096));
        Assert.That(map[1].Length, Is.EqualTo(1024));
        Assert.That(map[1].Data, Is.True);
        Assert.That(map[1].Offset, Is.Not.Null);
        Assert.That(map.Skip(2).All(e => e is { Zero: true, Data: false, Present: true }), Is.True);
        Assert.That(map.Sum(e => e.Length), Is.EqualTo(disk.Length));
    }

    [Test]
    public void Fixed_ReadsData_AndHyperVCreatorUsesCurrentSize()
    {
        var b = new VhdImageBuilder { VirtualSize = (3 << 20) + 512, CreatorApp = "win " };
        b.Sectors[5] = Pattern(0x44);
        using var dir = new TempDir();
        using var disk = OpenBytes(dir, b.BuildFixed());
        Assert.That(disk.Length, Is.EqualTo((3 << 20) + 512));
        Assert.That(ReadAll(disk).AsSpan(5 * 512, 512).IndexOfAnyExcept((byte)0x44), Is.EqualTo(-1));
        Assert.That(disk.Describe().Subformat, Is.EqualTo("fixed"));
    }

    [Test]
    public void VirtualPcCreator_UsesChsGeometry()
    {
        var b = new VhdImageBuilder { VirtualSize = 64 << 20, CreatorApp = "vpc " };
        var (c, h, s) = VhdImageBuilder.Geometry((64 << 20) / 512);
        using var dir = new TempDir();
        using var disk = OpenBytes(dir, b.BuildDynamic());
        Assert.That(disk.Length, Is.EqualTo((long)c * h * s * 512));
        Assert.That(disk.Length, Is.LessThan(64 << 20));
    }

    [Test]
    public void Differencing_ReadsOwnSectors_AndParentWhereBitsAreClear()
    {
        using var dir = new TempDir();
        var parent = Dynamic();
        parent.Sectors[0] = Pattern(0xA0);
        parent.Sectors[1] = Pattern(0xA1);
        parent.Sectors[4096] = Pattern(0xA2);
        File.WriteAllBytes(dir.File("parent.vhd"), parent.BuildDynamic());
        var idRaw = new byte[16];
        parent.UniqueId.TryWriteBytes(idRaw, bigEndian: true, out _);
        var child = new VhdImageBuilder
        {
            VirtualSize = 8 << 20,
            BlockSize = 1 << 20,
            ParentUniqueIdRaw = idRaw,
            ParentRelativePath = ".\\parent.vhd",
            ParentAbsolutePath = "C:\\images\\parent.vhd",
        };
        child.Sectors[1] = Pattern(0xC1);
        child.EmptyBlocks.Add(4096 * 512 / (1 << 20));
        using var disk = OpenBytes(dir, child.BuildDynamic(), "child.vhd");
        var all = ReadAll(disk);
        Assert.That(all.AsSpan(0, 512).IndexOfAnyExcept((byte)0xA0), Is.EqualTo(-1));
        Assert.That(all.AsSpan(512, 512).IndexOfAnyExcept((byte)0xC1), Is.EqualTo(-1));
        Assert.That(all.AsSpan(4096 * 512, 512).IndexOfAnyExcept((byte)0xA2), Is.EqualTo(-1), "an allocated block with clear bits reads the parent");
        var d = disk.Describe();
        Assert.That(d.Subformat, Is.EqualTo("differencing"));
        Assert.That(d.BackingFile, Is.EqualTo("parent.vhd"));
        Assert.That(disk.Map().Any(e => e.Depth == 1 && e.Data), Is.True);
    }

    [Test]
    public void Differencing_WithWrongParentId_IsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("parent.vhd"), Dynamic().BuildDynamic());
        var child = new VhdImageBuilder { VirtualSize = 8 << 20, BlockSize = 1 << 20, ParentUniqueIdRaw = new byte[16], ParentRelativePath = ".\\parent.vhd" };
        File.WriteAllBytes(dir.File("child.vhd"), child.BuildDynamic());
        var e = Assert.Throws<ImageFormatException>(() => DiskImage.Open(dir.File("child.vhd")))!;
        Assert.That(e.Reason, Is.EqualTo(ImageError.BadBackingChain));
        Assert.That(e.Message, Does.Contain("unique id"));
    }

    [Test]
    public void Differencing_WithMissingParent_NamesIt()
    {
        using var dir = new TempDir();
        var child = new VhdImageBuilder { VirtualSize = 8 << 20, BlockSize = 1 << 20, ParentUniqueIdRaw = new byte[16], ParentRelativePath = ".\\gone.vhd" };
        File.WriteAllBytes(dir.File("child.vhd"), child.BuildDynamic());
        var e = Assert.Throws<ImageFormatException>(() => DiskImage.Open(dir.File("child.vhd")))!;
        Assert.That(e.Reason, Is.EqualTo(ImageError.BadBackingChain));
        Assert.That(e.Message, Does.Contain("gone.vhd"));
        using var alone = DiskImage.Open(dir.File("child.vhd"), new OpenOptions { FollowBacking = false });
        Assert.That(alone.Backing, Is.Null);
    }

    [Test]
    public void Dynamic_WithOneBadFooterCopy_UsesTheOther()
    {
        var bytes = Dynamic().BuildDynamic();
        bytes[40] ^= 0xFF;
        using var dir = new TempDir();
        using var disk = OpenBytes(dir, bytes);
        Assert.That(disk.Length, Is.EqualTo(8 << 20));
    }

    [Test]
    public void BothFooterCopiesCorrupt_IsBadChecksum()
    {
        var bytes = Dynamic().BuildDynamic();
        bytes[40] ^= 0xFF;
        bytes[bytes.Length - 512 + 40] ^= 0xFF;
        Assert.That(Refused(bytes, ImageError.BadChecksum).Message, Does.Contain("footer checksum"));
    }

    [Test]
    public void FixedFooterCorrupt_IsBadChecksum()
    {
        var bytes = new VhdImageBuilder { VirtualSize = 1 << 20 }.BuildFixed();
        bytes[^1] ^= 1;
        Refused(bytes, ImageError.BadChecksum);
    }

    [Test]
    public void DynamicHeaderCorrupt_IsBadChecksum()
    {
        var bytes = Dynamic().BuildDynamic();
        bytes[512 + 100] ^= 1;
        Assert.That(Refused(bytes, ImageError.BadChecksum).Message, Does.Contain("dynamic header checksum"));
    }

    [TestCase(0u)]
    [TestCase(3000u)]
    [TestCase(256u)]
    public void BadBlockSize_IsRefused(uint blockSize)
    {
        var bytes = Dynamic().BuildDynamic();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(512 + 32), blockSize);
        VhdImageBuilder.Refresh(bytes.AsSpan(512, 1024));
        Assert.That(Refused(bytes, ImageError.SizeOutOfRange).Message, Does.Contain($"block size {blockSize}"));
    }

    [Test]
    public void HugeBatClaim_IsRefusedBeforeAllocating()
    {
        var bytes = Dynamic().BuildDynamic();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(512 + 28), 0xFFFFFFF0);
        VhdImageBuilder.Refresh(bytes.AsSpan(512, 1024));
        Assert.That(Refused(bytes, ImageError.SizeOutOfRange).Message, Does.Contain("table limit"));
    }

    [Test]
    public void BatPastEndOfFile_IsRefused()
    {
        var bytes = Dynamic().BuildDynamic();
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(512 + 16), (ulong)bytes.Length - 8);
        VhdImageBuilder.Refresh(bytes.AsSpan(512, 1024));
        Refused(bytes, ImageError.PointerOutOfRange);
    }

    [Test]
    public void BatEntryPastEndOfFile_IsRefused()
    {
        var b = Dynamic();
        b.Sectors[0] = Pattern(1);
        var bytes = b.BuildDynamic();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1536 + 4), 0x00FFFFFF);
        Assert.That(Refused(bytes, ImageError.PointerOutOfRange).Message, Does.Contain("BAT entry 1"));
    }

    [Test]
    public void DynamicHeaderOffsetPastEnd_IsRefused()
    {
        var bytes = Dynamic().BuildDynamic();
        foreach (var at in new[] { 0, bytes.Length - 512 })
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(at + 16), 0x7FFFFFFFFFFFFF00);
            VhdImageBuilder.Refresh(bytes.AsSpan(at, 512));
        }
        Refused(bytes, ImageError.PointerOutOfRange);
    }

    [TestCase(0x7FFFFFFFFFFFFE00UL)]
    [TestCase(0xFFFFFFFFFFFFFE00UL)]
    [TestCase(2041UL << 30)]
    public void VirtualSizeBeyondVhdMaximum_IsRefused(ulong size)
    {
        var bytes = new VhdImageBuilder { VirtualSize = 1 << 20 }.BuildFixed();
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(bytes.Length - 512 + 48), size);
        VhdImageBuilder.Refresh(bytes.AsSpan(bytes.Length - 512));
        Assert.That(Refused(bytes, ImageError.SizeOutOfRange).Message, Does.Contain("2040 GiB"));
    }

    [Test]
    public void FixedDiskLargerThanItsFile_IsTruncated()
    {
        var bytes = new VhdImageBuilder { VirtualSize = 1 << 20 }.BuildFixed();
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(bytes.Length - 512 + 48), 2 << 20);
        VhdImageBuilder.Refresh(bytes.AsSpan(bytes.Length - 512));
        Refused(bytes, ImageError.Truncated);
    }

    [Test]
    public void FileShorterThanAFooter_IsTruncated() => Refused(new byte[100], ImageError.Truncated);

    [Test]
    public void NoCookieAnywhere_IsBadHeader() => Refused(new byte[4096], ImageError.BadHeader);

    [Test]
    public void UnknownDiskType_IsBadHeader()
    {
        var bytes = new VhdImageBuilder { VirtualSize = 1 << 20 }.BuildFixed();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(bytes.Length - 512 + 60), 9);
        VhdImageBuilder.Refresh(bytes.AsSpan(bytes.Length - 512));
        Refused(bytes, ImageError.BadHeader);
    }

    [Test]
    public void TruncatedDynamicImage_IsRefused()
    {
        var b = Dynamic();
        b.Sectors[0] = Pattern(1);
        var bytes = b.BuildDynamic();
        Refused(bytes[..(bytes.Length - 4096)], ImageError.PointerOutOfRange);
    }

    [Test]
    public void BitmapRunEnd_StopsAtTheFirstDifferentBit()
    {
        var bitmap = new byte[64];
        bitmap.AsSpan(0, 10).Fill(0xFF);
        bitmap[10] = 0b1110_0000;
        Assert.That(VhdDisk.RunEnd(bitmap, 0, 512, true), Is.EqualTo(83));
        Assert.That(VhdDisk.RunEnd(bitmap, 83, 512, false), Is.EqualTo(512));
        Assert.That(VhdDisk.RunEnd(bitmap, 5, 40, true), Is.EqualTo(40));
        Assert.That(VhdDisk.RunEnd(bitmap, 83, 90, false), Is.EqualTo(90));
    }
    [Test]
    public void Check_OfAWellFormedDynamicVhd_IsClean()
    {
        var b = Dynamic();
        b.Sectors[0] = Pattern(0x11);
        b.Sectors[(3 << 11) + 5] = Pattern(0x22);
        using var dir = new TempDir();
        using var disk = OpenBytes(dir, b.BuildDynamic());
        var report = disk.Check();
        Assert.That(report.Findings, Is.Empty);
    }

    [Test]
    public void Check_FindsTwoBlocksSharingBytes_AndABlockOverTheBat()
    {
        var b = Dynamic();
        b.Sectors[0] = Pattern(0x11);
        b.Sectors[1 << 11] = Pattern(0x22);
        b.Sectors[2 << 11] = Pattern(0x33);
        var bytes = b.BuildDynamic();
        var header = (int)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(16));
        var bat = (int)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(header + 16));
        // Block 1 now points at block 0's sectors; block 2 at the BAT itself.
        bytes.AsSpan(bat + 4, 4).Clear();
        bytes.AsSpan(bat, 4).CopyTo(bytes.AsSpan(bat + 4, 4));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(bat + 8), (uint)(bat / 512));
        using var dir = new TempDir();
        using var disk = OpenBytes(dir, bytes);
        var report = disk.Check();
        // Block 2 (moved onto the BAT, 1 MiB long) also runs into block 0: three findings.
        Assert.That(report.Corruptions, Is.EqualTo(3), string.Join("\n", report.Findings));
        Assert.That(report.Findings.Select(f => f.Message), Has.Some.Match("^block 0 at 0x800 \\(1049088 bytes\\) overlaps block 2$"));
        Assert.That(report.Findings.Select(f => f.Message), Has.Some.Match("^block 1 at 0x[0-9a-f]+ \\(1049088 bytes\\) overlaps block 0$"));
        Assert.That(report.Findings.Select(f => f.Message), Has.Some.Match("^block 2 at 0x[0-9a-f]+ \\(1049088 bytes\\) overlaps the BAT$"));
    }
}
