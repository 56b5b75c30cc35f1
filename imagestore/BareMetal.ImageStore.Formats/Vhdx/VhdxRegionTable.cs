using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// The 64 KiB region table (at 192 KiB, copy at 256 KiB), CRC-32C protected: where the BAT and the
/// metadata live. Regions are 1 MiB aligned, whole MiB long, beyond the 1 MiB header section, inside
/// the file and not overlapping each other or the log.
/// </summary>
public sealed record VhdxRegionTable(VhdxRegionEntry Bat, VhdxRegionEntry Metadata, IReadOnlyList<VhdxRegionEntry> Entries)
{
    public const int Size = 64 * 1024;

    public const long Table1Offset = 192 * 1024;

    public const long Table2Offset = 256 * 1024;

    /// <summary>"regi" read as a little-endian u32.</summary>
    public const uint Signature = 0x69676572;

    /// <summary>The most entries MS-VHDX allows (what fits in 64 KiB after the 16-byte header).</summary>
    public const int MaxEntries = 2047;

    private const int HeaderBytes = 16;

    private const int EntryBytes = 32;

    /// <summary>Everything before 1 MiB is the header section; no region may start there.</summary>
    private const long HeaderSection = 1 << 20;

    /// <summary>Why a 64 KiB block is not a region table (signature or CRC), or null.</summary>
    public static string? ChecksumProblem(ReadOnlySpan<byte> block)
    {
        if (block.Length < Size || BinaryPrimitives.ReadUInt32LittleEndian(block) != Signature)
        {
            return "no 'regi' signature";
        }
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
        var computed = Crc32C.ComputeWithZeroedField(block[..Size], 4);
        return stored != computed ? $"CRC-32C mismatch (stored 0x{stored:x8}, computed 0x{computed:x8})" : null;
    }

    /// <summary>
    /// Decodes and validates a table accepted by <see cref="ChecksumProblem"/>. <paramref name="log"/>
    /// is the log's (offset, length) so regions cannot overlap it.
    /// </summary>
    public static VhdxRegionTable Parse(ReadOnlySpan<byte> block, long fileLength, (long Offset, long Length) log, string? path)
    {
        var count = BinaryPrimitives.ReadUInt32LittleEndian(block[8..]);
        if (count > MaxEntries)
        {
            throw Fail(path, ImageError.SizeOutOfRange, $"region table claims {count} entries (at most {MaxEntries})");
        }
        var entries = new List<VhdxRegionEntry>((int)count);
        VhdxRegionEntry? bat = null;
        VhdxRegionEntry? metadata = null;
        for (var i = 0; i < (int)count; i++)
        {
            var e = block.Slice(HeaderBytes + (i * EntryBytes), EntryBytes);
            var id = new Guid(e[..16]);
            var offset = BinaryPrimitives.ReadUInt64LittleEndian(e[16..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(e[24..]);
            var required = (BinaryPrimitives.ReadUInt32LittleEndian(e[28..]) & 1) != 0;
            if (offset % HeaderSection != 0 || length % HeaderSection != 0 || offset < HeaderSection || length == 0)
            {
                throw Fail(path, ImageError.PointerOutOfRange,
                    $"region {id} at 0x{offset:x} of {length} bytes is not a non-empty, 1 MiB aligned range after the header section");
            }
            if (offset > (ulong)fileLength || length > fileLength - (long)offset)
            {
                throw Fail(path, ImageError.PointerOutOfRange,
                    $"region {id} at 0x{offset:x} of {length} bytes runs past the end of the file ({fileLength} bytes)");
            }
            var entry = new VhdxRegionEntry(id, (long)offset, length, required);
            if (Overlaps(entry.FileOffset, length, log.Offset, log.Length) ||
                entries.Any(o => Overlaps(entry.FileOffset, length, o.FileOffset, o.Length)))
            {
                throw Fail(path, ImageError.PointerOutOfRange, $"region {id} at 0x{offset:x} overlaps the log or another region");
            }
            entries.Add(entry);
            if (id == VhdxKnownIds.BatRegion)
            {
                bat = bat is null ? entry : throw Fail(path, ImageError.BadHeader, "region table lists the BAT twice");
            }
            else if (id == VhdxKnownIds.MetadataRegion)
            {
                metadata = metadata is null ? entry : throw Fail(path, ImageError.BadHeader, "region table lists the metadata region twice");
            }
            else if (required)
            {
                throw Fail(path, ImageError.Unsupported, $"required region {id} is not one we know");
            }
        }
        if (bat is null || metadata is null)
        {
            throw Fail(path, ImageError.BadHeader, $"region table has no {(bat is null ? "BAT" : "metadata")} region");
        }
        return new VhdxRegionTable(bat.Value, metadata.Value, entries);
    }

    private static bool Overlaps(long a, long aLength, long b, long bLength) =>
        aLength > 0 && bLength > 0 && a < b + bLength && b < a + aLength;

    private static ImageFormatException Fail(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Vhdx, reason, problem);
}
