using System.Buffers.Binary;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.Partitions;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.FileSystems;

/// <summary>Hand-laid MBR/EBR and GPT sectors: numbering, and each hostile table refused in one line.</summary>
public class PartitionTableTests
{
    private const int S = 512;

    private static void Entry(byte[] disk, long sector, int slot, byte type, uint first, uint count, byte status = 0)
    {
        var at = (int)(sector * S) + MbrSector.EntriesOffset + (slot * MbrEntry.Size);
        disk[at] = status;
        disk[at + 4] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(disk.AsSpan(at + 8), first);
        BinaryPrimitives.WriteUInt32LittleEndian(disk.AsSpan(at + 12), count);
        disk[(sector * S) + 510] = 0x55;
        disk[(sector * S) + 511] = 0xAA;
    }

    private static PartitionTable Read(TempDir dir, byte[] bytes)
    {
        var path = dir.File("disk.img");
        File.WriteAllBytes(path, bytes);
        using var disk = DiskImage.Open(path);
        return PartitionTable.Read(disk);
    }

    private static byte[] MbrWithExtended()
    {
        var d = new byte[4096 * S];
        Entry(d, 0, 0, 0x83, 64, 64, 0x80);
        Entry(d, 0, 1, 0x05, 200, 2000);
        // EBR 1 at 200: logical at 200+8, next EBR at ext+300; EBR 2 at 500: logical at 500+8, end.
        Entry(d, 200, 0, 0x83, 8, 100);
        Entry(d, 200, 1, 0x05, 300, 200);
        Entry(d, 500, 0, 0x0c, 8, 50);
        return d;
    }

    [Test]
    public void Mbr_LogicalPartitionsAreNumberedFromFive()
    {
        using var dir = new TempDir();
        var t = Read(dir, MbrWithExtended());
        Assert.That(t.Kind, Is.EqualTo(PartitionTableKind.Mbr));
        Assert.That(t.Partitions.Select(p => (p.Number, p.StartSector, p.SectorCount)),
            Is.EqualTo(new[] { (1, 64L, 64L), (2, 200L, 2000L), (5, 208L, 100L), (6, 508L, 50L) }));
        Assert.That(t.Find(1)!.Bootable, Is.True);
    }

    [TestCase(0u, "EBR chain loops back to LBA 200")]
    [TestCase(5000u, "links to LBA 5200, outside the extended partition")]
    public void Mbr_HostileEbrLink_OneLineError(uint nextRelative, string message)
    {
        using var dir = new TempDir();
        var d = MbrWithExtended();
        Entry(d, 500, 1, 0x05, nextRelative, 10);
        var e = Assert.Throws<FileSystemFormatException>(() => Read(dir, d));
        Assert.That(e!.Message, Does.Contain("mbr: ").And.Contain(message).And.Not.Contain("\n"));
    }

    [Test]
    public void Mbr_PartitionPastTheEndOfTheDisk_OneLineError()
    {
        using var dir = new TempDir();
        var d = new byte[1024 * S];
        Entry(d, 0, 0, 0x83, 64, 5000);
        var e = Assert.Throws<FileSystemFormatException>(() => Read(dir, d));
        Assert.That(e!.Message, Does.Contain("partition 1 (LBA 64, 5000 sectors) lies past the end of the disk (1024 sectors)"));
    }

    [Test]
    public void Mbr_BadStatusByte_IsNotATable()
    {
        using var dir = new TempDir();
        var d = new byte[1024 * S];
        Entry(d, 0, 0, 0x83, 64, 64, status: 0x12);
        Assert.That(Read(dir, d).Kind, Is.EqualTo(PartitionTableKind.None));
    }

    [Test]
    public void Gpt_ProtectiveMbrWithoutHeaders_OneLineErrorNamingBoth()
    {
        using var dir = new TempDir();
        var d = new byte[1024 * S];
        Entry(d, 0, 0, 0xEE, 1, 1023);
        var e = Assert.Throws<FileSystemFormatException>(() => Read(dir, d));
        Assert.That(e!.Message, Does.Contain("gpt: no 'EFI PART' signature at LBA 1; backup: no 'EFI PART' signature at LBA 1023"));
    }

    [Test]
    public void Gpt_With4096ByteSectors_IsRefusedByName()
    {
        using var dir = new TempDir();
        var d = new byte[1024 * S];
        Entry(d, 0, 0, 0xEE, 1, 1023);
        "EFI PART"u8.CopyTo(d.AsSpan(4096));
        var e = Assert.Throws<FileSystemFormatException>(() => Read(dir, d));
        Assert.That(e!.Message, Does.Contain("4096-byte sectors"));
    }

    [Test]
    public void GptHeader_BadCrc_IsReportedWithBothValues()
    {
        var h = new byte[S];
        "EFI PART"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(12), 92);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), 0xdeadbeef);
        var e = Assert.Throws<FileSystemFormatException>(() => GptHeader.Parse(h, 1, 1000, "d.img"));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.BadChecksum));
        Assert.That(e.Message, Does.StartWith("d.img: gpt: header at LBA 1: CRC32 is 0xdeadbeef"));
    }

    [Test]
    public void Crc32_MatchesTheStandardCheckValue() =>
        Assert.That(Crc32.Compute("123456789"u8), Is.EqualTo(0xCBF43926u));
}
