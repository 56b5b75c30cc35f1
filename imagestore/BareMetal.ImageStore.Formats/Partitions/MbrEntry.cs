using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Partitions;

/// <summary>
/// One 16-byte MBR/EBR partition entry: u8 status (0x80 active, 0x00 not; anything else means the
/// sector is not a partition table), CHS start (ignored: LBA is what every modern tool uses), u8 type,
/// CHS end, u32 first LBA, u32 sector count (both little-endian).
/// </summary>
public readonly record struct MbrEntry(byte Status, byte Type, uint FirstLba, uint SectorCount)
{
    public const int Size = 16;

    /// <summary>An unused slot: type 0 or no sectors.</summary>
    public bool IsEmpty => Type == 0 || SectorCount == 0;

    public bool Active => Status == 0x80;

    public static MbrEntry Parse(ReadOnlySpan<byte> e) => new(
        e[0],
        e[4],
        BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(8, 4)),
        BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(12, 4)));
}
