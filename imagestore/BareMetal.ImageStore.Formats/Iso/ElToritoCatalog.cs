using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>
/// The El Torito boot catalog ("El Torito" Bootable CD-ROM Format Specification 1.0): 32-byte entries.
/// Entry 0 is the validation entry (header id 1, platform, id string, checksum making the 16 words sum to
/// 0, key bytes 0x55 0xAA); entry 1 is the initial/default entry; section headers (0x90 more follow,
/// 0x91 final) each introduce N section entries, which may be followed by extension entries (0x44).
/// </summary>
public sealed record ElToritoCatalog(uint CatalogLba, ElToritoPlatform Platform, string IdString, IReadOnlyList<ElToritoEntry> Entries)
{
    /// <summary>Size of every catalog entry.</summary>
    public const int EntrySize = 32;

    /// <summary>Most catalog sectors read (64 entries each): far above what any mastering tool writes.</summary>
    public const int MaxSectors = 16;

    /// <summary>Boot indicator of a bootable entry (0x00 = not bootable).</summary>
    private const byte Bootable = 0x88;

    /// <summary>Section header indicators: more headers follow / this is the last.</summary>
    private const byte SectionMore = 0x90;
    private const byte SectionFinal = 0x91;

    /// <summary>Indicator of a section entry extension.</summary>
    private const byte Extension = 0x44;

    /// <summary>Bit 5 of an entry's media byte: an extension entry follows.</summary>
    private const byte ContinuationFollows = 0x20;

    /// <summary>Parses a catalog. Pure. <paramref name="diskLength"/> bounds every image's start.</summary>
    public static ElToritoCatalog Parse(ReadOnlySpan<byte> catalog, uint catalogLba, long diskLength, string? path)
    {
        if (catalog.Length < 2 * EntrySize)
        {
            throw Error(path, ImageError.Truncated, $"boot catalog needs at least {2 * EntrySize} bytes, {catalog.Length} available");
        }
        var validation = catalog[..EntrySize];
        if (validation[0] != 1 || validation[30] != 0x55 || validation[31] != 0xAA)
        {
            throw Error(path, ImageError.BadHeader,
                $"boot catalog validation entry starts 0x{validation[0]:x2} and ends 0x{validation[30]:x2} 0x{validation[31]:x2} (expected 0x01 ... 0x55 0xaa)");
        }
        ushort sum = 0;
        for (var i = 0; i < EntrySize; i += 2)
        {
            sum = unchecked((ushort)(sum + BinaryPrimitives.ReadUInt16LittleEndian(validation[i..])));
        }
        if (sum != 0)
        {
            throw Error(path, ImageError.BadChecksum, $"boot catalog validation entry words sum to 0x{sum:x4}, expected 0");
        }
        var platform = (ElToritoPlatform)validation[1];
        var id = Encoding.ASCII.GetString(validation.Slice(4, 24)).TrimEnd('\0', ' ');
        var entries = new List<ElToritoEntry> { Entry(catalog.Slice(EntrySize, EntrySize), 1, platform, diskLength, path, isDefault: true) };
        var count = catalog.Length / EntrySize;
        var pos = 2;
        var final = false;
        while (!final && pos < count)
        {
            var header = catalog.Slice(pos * EntrySize, EntrySize);
            if (header[0] != SectionMore && header[0] != SectionFinal)
            {
                break;
            }
            final = header[0] == SectionFinal;
            var sectionPlatform = (ElToritoPlatform)header[1];
            var n = BinaryPrimitives.ReadUInt16LittleEndian(header[2..]);
            pos++;
            for (var k = 0; k < n; k++)
            {
                if (pos >= count)
                {
                    throw Error(path, ImageError.Truncated, $"boot catalog section promises {n} entries but ends after {k}");
                }
                var e = catalog.Slice(pos * EntrySize, EntrySize);
                entries.Add(Entry(e, entries.Count + 1, sectionPlatform, diskLength, path, isDefault: false));
                pos++;
                // Skip extension entries chained behind this one.
                var more = (e[1] & ContinuationFollows) != 0;
                while (more && pos < count && catalog[pos * EntrySize] == Extension)
                {
                    more = (catalog[(pos * EntrySize) + 1] & ContinuationFollows) != 0;
                    pos++;
                }
            }
        }
        return new ElToritoCatalog(catalogLba, platform, id, entries);
    }

    private static ElToritoEntry Entry(ReadOnlySpan<byte> e, int index, ElToritoPlatform platform, long diskLength, string? path, bool isDefault)
    {
        if (e[0] != Bootable && e[0] != 0)
        {
            throw Error(path, ImageError.BadHeader,
                $"boot catalog {(isDefault ? "default" : "section")} entry {index} has boot indicator 0x{e[0]:x2} (0x88 or 0x00 expected)");
        }
        var emulation = (ElToritoEmulation)(e[1] & 0x0F);
        if (emulation > ElToritoEmulation.HardDisk)
        {
            throw Error(path, ImageError.BadHeader, $"boot catalog entry {index} has media type {e[1] & 0x0F} (0 to 4 exist)");
        }
        var rba = BinaryPrimitives.ReadUInt32LittleEndian(e[8..]);
        if ((long)rba * IsoVolumeDescriptor.Size >= diskLength)
        {
            throw Error(path, ImageError.PointerOutOfRange, $"boot image {index} starts at sector {rba}, past the end of the image ({diskLength} bytes)");
        }
        return new ElToritoEntry(index, e[0] == Bootable, platform, emulation,
            BinaryPrimitives.ReadUInt16LittleEndian(e[2..]), e[4], BinaryPrimitives.ReadUInt16LittleEndian(e[6..]), rba);
    }

    private static ImageFormatException Error(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Iso, reason, problem);
}
