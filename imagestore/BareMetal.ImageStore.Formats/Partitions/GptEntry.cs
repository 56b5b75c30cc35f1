using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Partitions;

/// <summary>
/// One GPT partition entry (UEFI 2.10 5.3.3): type GUID, unique GUID, u64 first LBA, u64 last LBA
/// (inclusive), u64 attributes, 72 bytes of UTF-16LE name. A zero type GUID marks an unused slot.
/// </summary>
public readonly record struct GptEntry(Guid Type, Guid Unique, ulong FirstLba, ulong LastLba, ulong Attributes, string Name)
{
    public const int MinSize = 128;

    /// <summary>Attribute bit 2: "legacy BIOS bootable".</summary>
    public const ulong LegacyBiosBootable = 1UL << 2;

    public bool IsUnused => Type == Guid.Empty;

    public static GptEntry Parse(ReadOnlySpan<byte> e)
    {
        var nameBytes = e.Slice(56, 72);
        var len = 0;
        while (len + 1 < nameBytes.Length && (nameBytes[len] | nameBytes[len + 1]) != 0)
        {
            len += 2;
        }
        return new GptEntry(
            new Guid(e[..16]),
            new Guid(e.Slice(16, 16)),
            BinaryPrimitives.ReadUInt64LittleEndian(e.Slice(32, 8)),
            BinaryPrimitives.ReadUInt64LittleEndian(e.Slice(40, 8)),
            BinaryPrimitives.ReadUInt64LittleEndian(e.Slice(48, 8)),
            Encoding.Unicode.GetString(nameBytes[..len]));
    }
}
