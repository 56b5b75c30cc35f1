using System.Buffers.Binary;
using System.Globalization;
using BareMetal.ImageStore.Formats.FileSystems;

namespace BareMetal.ImageStore.Formats.Partitions;

/// <summary>
/// The GPT header (UEFI 2.10 5.3.2), at LBA 1 (primary) and the disk's last LBA (backup):
/// "EFI PART", u32 revision, u32 header size (92..sector), u32 header CRC32 (computed with itself
/// zeroed), u64 my LBA, u64 alternate LBA, u64 first/last usable LBA, disk GUID, u64 entry-array LBA,
/// u32 entry count, u32 entry size (128 x 2^n), u32 entry-array CRC32.
/// </summary>
public readonly record struct GptHeader(
    uint Revision,
    uint HeaderSize,
    ulong MyLba,
    ulong AlternateLba,
    ulong FirstUsableLba,
    ulong LastUsableLba,
    Guid DiskGuid,
    ulong EntriesLba,
    uint EntryCount,
    uint EntrySize,
    uint EntriesCrc)
{
    public const int MinHeaderSize = 92;

    public static ReadOnlySpan<byte> Signature => "EFI PART"u8;

    /// <summary>
    /// Parses and checks one header sector against a disk of <paramref name="diskSectors"/> sectors,
    /// expected at <paramref name="expectedLba"/>. Pure; throws on every inconsistency.
    /// </summary>
    public static GptHeader Parse(ReadOnlySpan<byte> s, ulong expectedLba, ulong diskSectors, string? path)
    {
        if (s.Length < PartitionTable.SectorSize)
        {
            throw Error(path, ImageError.Truncated, $"header at LBA {expectedLba}: {s.Length} bytes, need {PartitionTable.SectorSize}");
        }
        if (!s[..8].SequenceEqual(Signature))
        {
            throw Error(path, ImageError.BadHeader, $"no 'EFI PART' signature at LBA {expectedLba}");
        }
        var size = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(12, 4));
        if (size < MinHeaderSize || size > PartitionTable.SectorSize)
        {
            throw Error(path, ImageError.BadHeader, $"header at LBA {expectedLba}: header size {size} is outside {MinHeaderSize}..{PartitionTable.SectorSize}");
        }
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(16, 4));
        Span<byte> copy = stackalloc byte[(int)size];
        s[..(int)size].CopyTo(copy);
        copy.Slice(16, 4).Clear();
        var crc = Crc32.Compute(copy);
        if (crc != stored)
        {
            throw Error(path, ImageError.BadChecksum, $"header at LBA {expectedLba}: CRC32 is 0x{stored:x8}, the bytes give 0x{crc:x8}");
        }
        var h = new GptHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(8, 4)),
            size,
            BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(24, 8)),
            BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(32, 8)),
            BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(40, 8)),
            BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(48, 8)),
            new Guid(s.Slice(56, 16)),
            BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(72, 8)),
            BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(80, 4)),
            BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(84, 4)),
            BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(88, 4)));
        if (h.MyLba != expectedLba)
        {
            throw Error(path, ImageError.BadHeader, $"header at LBA {expectedLba} says it lives at LBA {h.MyLba}");
        }
        if (h.EntrySize < GptEntry.MinSize || h.EntrySize > PartitionTable.MaxGptEntrySize || (h.EntrySize & (h.EntrySize - 1)) != 0)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"header at LBA {expectedLba}: entry size {h.EntrySize} is not a power of two in {GptEntry.MinSize}..{PartitionTable.MaxGptEntrySize}");
        }
        if ((ulong)h.EntryCount * h.EntrySize > PartitionTable.MaxGptEntryArrayBytes)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"header at LBA {expectedLba}: {h.EntryCount} entries of {h.EntrySize} bytes, more than {PartitionTable.MaxGptEntryArrayBytes} bytes");
        }
        var arraySectors = (((ulong)h.EntryCount * h.EntrySize) + PartitionTable.SectorSize - 1) / PartitionTable.SectorSize;
        if (h.EntriesLba < 1 || h.EntriesLba >= diskSectors || arraySectors > diskSectors - h.EntriesLba)
        {
            throw Error(path, ImageError.PointerOutOfRange, $"header at LBA {expectedLba}: entry array at LBA {h.EntriesLba} ({arraySectors} sectors) lies outside the disk ({diskSectors} sectors)");
        }
        if (h.FirstUsableLba > h.LastUsableLba || h.LastUsableLba >= diskSectors)
        {
            throw Error(path, ImageError.PointerOutOfRange, $"header at LBA {expectedLba}: usable LBAs {h.FirstUsableLba}..{h.LastUsableLba} do not fit the disk ({diskSectors} sectors)");
        }
        return h;
    }

    internal static FileSystemFormatException Error(string? path, ImageError reason, string problem) =>
        new(path, "gpt", reason, problem);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"GPT header at LBA {MyLba}, {EntryCount} x {EntrySize}");
}
