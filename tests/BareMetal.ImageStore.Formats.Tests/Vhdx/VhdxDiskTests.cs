using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Formats.Vhdx;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Vhdx;

public class VhdxDiskTests
{
    private const int MiB = 1 << 20;

    /// <summary>Where the builder puts things (see VhdxImageBuilder).</summary>
    private const int MetadataAt = 2 * MiB;
    private const int FirstItemAt = MetadataAt + (64 * 1024);
    private const int BatAt = 3 * MiB;

    private static byte[] Block(byte value, int length = MiB) => Enumerable.Repeat(value, length).ToArray();

    private static byte[] ReadAll(VirtualDisk disk)
    {
        var buf = new byte[disk.Length];
        disk.Read(0, buf);
        return buf;
    }

    private static VhdxImageBuilder Sample()
    {
        var b = new VhdxImageBuilder { VirtualSize = 6 * MiB };
        b.Blocks[0] = (VhdxBlockState.FullyPresent, Block(0x11));
        b.Blocks[1] = (VhdxBlockState.Zero, null);
        b.Blocks[2] = (VhdxBlockState.FullyPresent, Block(0x22));
        b.Blocks[3] = (VhdxBlockState.Unmapped, null);
        b.Blocks[5] = (VhdxBlockState.FullyPresent, Block(0x55));
        return b;
    }

    private static ImageFormatException Refused(byte[] bytes, ImageError reason)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.vhdx");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ImageFormatException>(() => DiskImage.Open(path, new OpenOptions { Format = ImageFormat.Vhdx }).Dispose())!;
        Assert.That(e.Reason, Is.EqualTo(reason), e.Message);
        Assert.That(e.Message, Does.StartWith(path + ": vhdx: "));
        Assert.That(e.Message, Does.Not.Contain('\n'));
        return e;
    }

    private static void RefreshHeaders(byte[] bytes)
    {
        foreach (var at in new[] { 64 * 1024, 128 * 1024 })
        {
            var h = bytes.AsSpan(at, 4096);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], Crc32C.Compute(h));
        }
    }

    [Test]
    public void Crc32C_MatchesTheCastagnoliCheckValue()
    {
        Assert.That(Crc32C.Compute("123456789"u8), Is.EqualTo(0xE3069283u));
        var data = new byte[1000];
        new Random(5).NextBytes(data);
        uint slow = 0xFFFFFFFF;
        foreach (var b in data)
        {
            slow ^= b;
            for (var k = 0; k < 8; k++)
            {
                slow = (slow & 1) != 0 ? (slow >> 1) ^ 0x82F63B78 : slow >> 1;
            }
        }
        Assert.That(Crc32C.Compute(data), Is.EqualTo(~slow));
        for (var n = 0; n < 40; n++)
        {
            Assert.That(Crc32C.Update(0x12345678, data.AsSpan(n, 3 * n)), Is.EqualTo(Crc32C.UpdateTable(0x12345678, data.AsSpan(n, 3 * n))), $"length {3 * n}");
        }
    }

    [Test]
    public void Dynamic_ReadsEveryBlockState()
    {
        using var dir = new TempDir();
        var path = dir.File("d.vhdx");
        File.WriteAllBytes(path, Sample().Build());
        using var disk = DiskImage.Open(path);
        Assert.That(disk.Format, Is.EqualTo(ImageFormat.Vhdx));
        Assert.That(disk.Length, Is.EqualTo(6 * MiB));
        var all = ReadAll(disk);
        byte[] expected = [0x11, 0, 0x22, 0, 0, 0x55];
        for (var i = 0; i < 6; i++)
        {
            Assert.That(all.AsSpan(i * MiB, MiB).IndexOfAnyExcept(expected[i]), Is.EqualTo(-1), $"block {i}");
        }
        var map = disk.Map().ToList();
        Assert.That(map.Select(e => (e.Start / MiB, e.Length / MiB, e.Data)),
            Is.EqualTo(new[] { (0L, 1L, true), (1L, 1L, false), (2L, 1L, true), (3L, 2L, false), (5L, 1L, true) }));
        Assert.That(map.All(e => e.Present), Is.True);
        var d = disk.Describe();
        Assert.That(d.Subformat, Is.EqualTo("dynamic"));
        Assert.That(d.ClusterSize, Is.EqualTo(MiB));
        Assert.That(d.Features["log"], Is.EqualTo("empty"));
    }

    [Test]
    public void Differencing_PartiallyPresentBlock_TakesSectorsFromTheBitmapAndTheRestFromTheParent()
    {
        using var dir = new TempDir();
        var parent = new VhdxImageBuilder { VirtualSize = 4 * MiB };
        parent.Blocks[0] = (VhdxBlockState.FullyPresent, Block(0xAA));
        parent.Blocks[1] = (VhdxBlockState.FullyPresent, Block(0xBB));
        File.WriteAllBytes(dir.File("parent.vhdx"), parent.Build());
        var child = new VhdxImageBuilder
        {
            VirtualSize = 4 * MiB,
            Parent = new() { ["parent_linkage"] = parent.DataWriteGuid.ToString("B"), ["relative_path"] = ".\\parent.vhdx" },
        };
        child.Blocks[0] = (VhdxBlockState.PartiallyPresent, Block(0xCC));
        var mask = new bool[MiB / 512];
        mask[1] = mask[2] = mask[2047] = true;
        child.SectorMasks[0] = mask;
        child.Blocks[1] = (VhdxBlockState.Zero, null);
        child.Blocks[2] = (VhdxBlockState.FullyPresent, Block(0xDD));
        File.WriteAllBytes(dir.File("child.vhdx"), child.Build());
        using var disk = DiskImage.Open(dir.File("child.vhdx"));
        var all = ReadAll(disk);
        Assert.That(all.AsSpan(0, 512).IndexOfAnyExcept((byte)0xAA), Is.EqualTo(-1));
        Assert.That(all.AsSpan(512, 1024).IndexOfAnyExcept((byte)0xCC), Is.EqualTo(-1));
        Assert.That(all.AsSpan(1536, MiB - 2048).IndexOfAnyExcept((byte)0xAA), Is.EqualTo(-1));
        Assert.That(all.AsSpan(MiB - 512, 512).IndexOfAnyExcept((byte)0xCC), Is.EqualTo(-1));
        Assert.That(all.AsSpan(MiB, MiB).IndexOfAnyExcept((byte)0), Is.EqualTo(-1), "a ZERO block hides the parent");
        Assert.That(all.AsSpan(2 * MiB, MiB).IndexOfAnyExcept((byte)0xDD), Is.EqualTo(-1));
        Assert.That(all.AsSpan(3 * MiB, MiB).IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
        Assert.That(disk.Describe().Subformat, Is.EqualTo("differencing"));
        Assert.That(disk.Describe().BackingFile, Is.EqualTo("parent.vhdx"));
    }

    [Test]
    public void Differencing_WithStaleParentLinkage_IsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("parent.vhdx"), new VhdxImageBuilder { VirtualSize = MiB }.Build());
        var child = new VhdxImageBuilder
        {
            VirtualSize = MiB,
            Parent = new() { ["parent_linkage"] = Guid.NewGuid().ToString("B"), ["relative_path"] = "parent.vhdx" },
        };
        File.WriteAllBytes(dir.File("child.vhdx"), child.Build());
        var e = Assert.Throws<ImageFormatException>(() => DiskImage.Open(dir.File("child.vhdx")))!;
        Assert.That(e.Reason, Is.EqualTo(ImageError.BadBackingChain));
    }

    [Test]
    public void PendingLog_IsReplayedInMemory_AndTheFileIsUntouched()
    {
        using var dir = new TempDir();
        var path = dir.File("log.vhdx");
        File.WriteAllBytes(path, Sample().Build());
        // The payload of block 0 sits right after the 1 MiB BAT region; block 2 after it.
        const long block0 = 4 * MiB;
        var sector = Block(0x77, 4096);
        sector[0] = 1;
        sector[4095] = 2;
        // Also rewrite the BAT through the log: block 4 (not present) becomes a copy of block 2's entry.
        var batSector = new byte[4096];
        using (var f = File.OpenRead(path))
        {
            f.Position = BatAt;
            f.ReadExactly(batSector);
        }
        batSector.AsSpan(16, 8).CopyTo(batSector.AsSpan(32));
        VhdxImageBuilder.AddLogEntry(path, [(block0 + 8192, sector), (BatAt, batSector)], [(block0 + 65536, 8192)]);
        var before = Hash.Sha256File(path);
        using (var disk = DiskImage.Open(path))
        {
            var all = ReadAll(disk);
            Assert.That(all.AsSpan(8192, 4096).SequenceEqual(sector), Is.True);
            Assert.That(all.AsSpan(0, 8192).IndexOfAnyExcept((byte)0x11), Is.EqualTo(-1));
            Assert.That(all.AsSpan(65536, 8192).IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
            Assert.That(all.AsSpan(65536 + 8192, MiB - 65536 - 8192).IndexOfAnyExcept((byte)0x11), Is.EqualTo(-1));
            Assert.That(all.AsSpan(4 * MiB, MiB).IndexOfAnyExcept((byte)0x22), Is.EqualTo(-1), "the replayed BAT maps block 4");
            Assert.That(disk.Describe().Features["log"], Does.StartWith("1 entries replayed"));
            Assert.That(disk.Map().Any(e => e.Compressed), Is.True, "replayed payload sectors are not read raw");
        }
        Assert.That(Hash.Sha256File(path), Is.EqualTo(before));
    }

    [Test]
    public void LogWithCorruptEntry_IsIgnored()
    {
        using var dir = new TempDir();
        var path = dir.File("log.vhdx");
        File.WriteAllBytes(path, Sample().Build());
        VhdxImageBuilder.AddLogEntry(path, [(4 * MiB, Block(0x77, 4096))], []);
        var bytes = File.ReadAllBytes(path);
        bytes[MiB + 4096 + 100] ^= 1; // inside the data sector: the entry's CRC no longer matches
        File.WriteAllBytes(path, bytes);
        using var disk = DiskImage.Open(path);
        Assert.That(ReadAll(disk).AsSpan(0, MiB).IndexOfAnyExcept((byte)0x11), Is.EqualTo(-1));
    }

    [Test]
    public void LogClaimingALongerFile_IsTruncated()
    {
        using var dir = new TempDir();
        var path = dir.File("log.vhdx");
        File.WriteAllBytes(path, Sample().Build());
        VhdxImageBuilder.AddLogEntry(path, [(4 * MiB, Block(0x77, 4096))], [], flushedFileOffset: 1L << 40);
        Refused(File.ReadAllBytes(path), ImageError.Truncated);
    }

    [Test]
    public void LogZeroDescriptorOfHugeLength_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("log.vhdx");
        File.WriteAllBytes(path, Sample().Build());
        VhdxImageBuilder.AddLogEntry(path, [], [(4 * MiB, 1L << 50)]);
        Refused(File.ReadAllBytes(path), ImageError.SizeOutOfRange);
    }

    [Test]
    public void OneCorruptHeader_UsesTheOther()
    {
        var bytes = Sample().Build();
        bytes[128 * 1024 + 200] ^= 1;
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.vhdx"), bytes);
        using var disk = DiskImage.Open(dir.File("a.vhdx"));
        Assert.That(disk.Length, Is.EqualTo(6 * MiB));
    }

    [Test]
    public void BothHeadersCorrupt_IsBadChecksum()
    {
        var bytes = Sample().Build();
        bytes[64 * 1024 + 200] ^= 1;
        bytes[128 * 1024 + 200] ^= 1;
        Assert.That(Refused(bytes, ImageError.BadChecksum).Message, Does.Contain("no valid header"));
    }

    [Test]
    public void BothRegionTablesCorrupt_IsBadChecksum()
    {
        var bytes = Sample().Build();
        bytes[192 * 1024 + 100] ^= 1;
        bytes[256 * 1024 + 100] ^= 1;
        Assert.That(Refused(bytes, ImageError.BadChecksum).Message, Does.Contain("region table"));
    }

    [Test]
    public void FirstRegionTableCorrupt_UsesTheCopy()
    {
        var bytes = Sample().Build();
        bytes[192 * 1024 + 100] ^= 1;
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.vhdx"), bytes);
        using var disk = DiskImage.Open(dir.File("a.vhdx"));
        Assert.That(disk.Length, Is.EqualTo(6 * MiB));
    }

    [Test]
    public void MissingSignature_IsBadHeader()
    {
        var bytes = Sample().Build();
        bytes[0] = (byte)'X';
        Refused(bytes, ImageError.BadHeader);
    }

    [Test]
    public void TruncatedHeaderSection_IsTruncated() => Refused(Sample().Build()[..(200 * 1024)], ImageError.Truncated);

    [Test]
    public void BatEntryPastEndOfFile_IsRefused()
    {
        var bytes = Sample().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(BatAt + 8), (1UL << 40) | 6);
        Assert.That(Refused(bytes, ImageError.PointerOutOfRange).Message, Does.Contain("block 1"));
    }

    [Test]
    public void BatEntryWithUnknownState_IsRefused()
    {
        var bytes = Sample().Build();
        bytes[BatAt + 8] = 5;
        Refused(bytes, ImageError.BadHeader);
    }

    [Test]
    public void PartiallyPresentWithoutParent_IsRefused()
    {
        var bytes = Sample().Build();
        bytes[BatAt] = (byte)((bytes[BatAt] & ~7) | 7);
        Refused(bytes, ImageError.BadHeader);
    }

    [TestCase(0u)]
    [TestCase(3u << 20)]
    [TestCase(512u << 20)]
    [TestCase(4096u)]
    public void BadBlockSize_IsRefused(uint blockSize)
    {
        var bytes = Sample().Build();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(FirstItemAt), blockSize);
        Assert.That(Refused(bytes, ImageError.SizeOutOfRange).Message, Does.Contain("block size"));
    }

    [TestCase(0x7FFFFFFFFFFFFE00UL)]
    [TestCase(1UL << 62)]
    [TestCase(0UL)]
    [TestCase(1000UL)]
    public void BadVirtualSize_IsRefused(ulong size)
    {
        var bytes = Sample().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(FirstItemAt + 8), size);
        Refused(bytes, ImageError.SizeOutOfRange);
    }

    [Test]
    public void VirtualSizeNeedingMoreBatThanTheRegionHolds_IsRefused()
    {
        var bytes = Sample().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(FirstItemAt + 8), 60L << 40);
        Assert.That(Refused(bytes, ImageError.SizeOutOfRange).Message, Does.Contain("BAT region"));
    }

    [Test]
    public void HugeMetadataEntryCount_IsRefused()
    {
        var bytes = Sample().Build();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(MetadataAt + 10), 0xFFFF);
        Refused(bytes, ImageError.SizeOutOfRange);
    }

    [Test]
    public void MetadataItemOutsideTheRegion_IsRefused()
    {
        var bytes = Sample().Build();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(MetadataAt + 32 + 16), 0xFFFFFF00);
        Refused(bytes, ImageError.PointerOutOfRange);
    }

    [Test]
    public void UnknownRequiredMetadataItem_IsUnsupported()
    {
        var bytes = Sample().Build();
        Guid.NewGuid().TryWriteBytes(bytes.AsSpan(MetadataAt + 32 + (32 * 2)));
        Assert.That(Refused(bytes, ImageError.Unsupported).Message, Does.Contain("required metadata item"));
    }

    [Test]
    public void LogPastEndOfFile_IsRefused()
    {
        var bytes = Sample().Build();
        foreach (var at in new[] { 64 * 1024, 128 * 1024 })
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 68), 0xFFF00000);
        }
        RefreshHeaders(bytes);
        Refused(bytes, ImageError.PointerOutOfRange);
    }

    [Test]
    public void RegionPastEndOfFile_IsRefused()
    {
        var bytes = Sample().Build();
        foreach (var at in new[] { 192 * 1024, 256 * 1024 })
        {
            var t = bytes.AsSpan(at, 64 * 1024);
            BinaryPrimitives.WriteUInt64LittleEndian(t[(16 + 16)..], 1UL << 50);
            BinaryPrimitives.WriteUInt32LittleEndian(t[4..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(t[4..], Crc32C.Compute(t));
        }
        Refused(bytes, ImageError.PointerOutOfRange);
    }

    [Test]
    public void Creator_IsReported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.vhdx"), Sample().Build());
        using var disk = DiskImage.Open(dir.File("a.vhdx"));
        Assert.That(disk.Describe().Features["creator"], Is.EqualTo("BareMetal test builder"));
        Assert.That(Encoding.ASCII.GetString(File.ReadAllBytes(dir.File("a.vhdx")), 0, 8), Is.EqualTo("vhdxfile"));
    }
    [Test]
    public void Check_OfAWellFormedDynamicVhdx_IsClean()
    {
        using var dir = new TempDir();
        var path = dir.File("d.vhdx");
        File.WriteAllBytes(path, Sample().Build());
        using var disk = DiskImage.Open(path);
        Assert.That(disk.Check().Findings, Is.Empty);
    }

    [Test]
    public void Check_FindsPayloadBlocksSharingBytes_AndABlockOverTheMetadata()
    {
        using var dir = new TempDir();
        var path = dir.File("d.vhdx");
        var bytes = Sample().Build();
        const int bat = 3 * MiB; // where VhdxImageBuilder puts the BAT
        var first = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bat));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bat + 16), first);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bat + 40), (2UL * MiB) | (ulong)VhdxBlockState.FullyPresent);
        File.WriteAllBytes(path, bytes);
        using var disk = DiskImage.Open(path);
        var report = disk.Check();
        Assert.That(report.Corruptions, Is.EqualTo(2), string.Join("\n", report.Findings));
        Assert.That(report.Findings.Select(f => f.Message), Has.Some.Match("^payload block 2 at 0x[0-9a-f]+ \\(1048576 bytes\\) overlaps payload block 0$"));
        Assert.That(report.Findings.Select(f => f.Message), Has.Some.Match("^(payload block 5 at 0x200000 .* overlaps the metadata region|the metadata region at 0x200000 .* overlaps payload block 5)$"));
    }
}
