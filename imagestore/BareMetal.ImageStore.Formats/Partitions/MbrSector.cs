using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Partitions;

/// <summary>
/// A master (or extended) boot record: four entries at 0x1BE and the 0x55 0xAA signature at 510.
/// The disk signature (u32 at 0x1B8) is what sfdisk shows as the "dos" label id.
/// </summary>
public sealed class MbrSector
{
    public const int Size = 512;

    /// <summary>Offset of the first of the four 16-byte partition entries.</summary>
    public const int EntriesOffset = 0x1BE;

    private MbrSector(uint diskSignature, MbrEntry[] entries)
    {
        DiskSignature = diskSignature;
        Entries = entries;
    }

    public uint DiskSignature { get; }
    public IReadOnlyList<MbrEntry> Entries { get; }

    /// <summary>True when any slot is GPT's protective entry (type 0xEE).</summary>
    public bool IsProtective => Entries.Any(e => e.Type == 0xEE);

    /// <summary>
    /// Parses a sector as a partition table. Null when it is not one: no 0x55AA signature, or a status
    /// byte other than 0x00/0x80 (a FAT boot sector's code sits where the entries would be). Pure.
    /// </summary>
    public static MbrSector? TryParse(ReadOnlySpan<byte> sector)
    {
        if (sector.Length < Size || sector[510] != 0x55 || sector[511] != 0xAA)
        {
            return null;
        }
        var entries = new MbrEntry[4];
        for (var i = 0; i < 4; i++)
        {
            var e = MbrEntry.Parse(sector.Slice(EntriesOffset + (i * MbrEntry.Size), MbrEntry.Size));
            if (e.Status is not (0x00 or 0x80))
            {
                return null;
            }
            entries[i] = e;
        }
        return new MbrSector(BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(0x1B8, 4)), entries);
    }
}
