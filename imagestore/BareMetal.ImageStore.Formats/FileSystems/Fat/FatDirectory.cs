using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.FileSystems.Fat;

/// <summary>
/// FAT directory entries (FAT spec 6 and 7): 32 bytes each, 11-byte 8.3 name (0x00 = end, 0xE5 =
/// deleted, 0x05 = a real leading 0xE5), attributes @11, case bits @12 (0x08 base, 0x10 extension lower
/// case, as Windows NT writes), first cluster high @20 / low @26, write time @22 and date @24, size @28.
/// VFAT long names come before their short entry as attribute-0x0F entries in reverse order (0x40 marks
/// the last), 13 UTF-16 units each, all carrying the short name's checksum; a sequence that breaks or
/// whose checksum differs is ignored and the short name stands (what Windows and Linux do).
/// </summary>
public static class FatDirectory
{
    /// <summary>VFAT allows 20 LFN entries (255 characters).</summary>
    public const int MaxLongNameEntries = 20;

    /// <summary>Parses a directory's bytes into entries, without "." and ".." and the volume label. Pure.</summary>
    public static List<FatDirectoryEntry> Parse(ReadOnlySpan<byte> data, string where, string? path, out string? volumeLabel)
    {
        volumeLabel = null;
        var result = new List<FatDirectoryEntry>();
        var lfn = new char[MaxLongNameEntries * 13];
        var lfnCount = 0;
        var lfnExpected = 0;
        byte lfnChecksum = 0;
        for (var pos = 0; pos + FatBootSector.DirEntrySize <= data.Length; pos += FatBootSector.DirEntrySize)
        {
            var e = data.Slice(pos, FatBootSector.DirEntrySize);
            if (e[0] == 0x00)
            {
                break;
            }
            if (e[0] == 0xE5)
            {
                lfnExpected = 0;
                continue;
            }
            var attr = e[11];
            if ((attr & 0x3F) == FatDirectoryEntry.AttrLongName)
            {
                var ord = e[0];
                var seq = ord & 0x1F;
                if ((ord & 0x40) != 0)
                {
                    if (seq is < 1 or > MaxLongNameEntries)
                    {
                        lfnExpected = 0;
                        continue;
                    }
                    lfnCount = seq;
                    lfnExpected = seq;
                    lfnChecksum = e[13];
                    lfn.AsSpan(0, seq * 13).Fill('\uFFFF');
                }
                else if (lfnExpected == 0 || seq != lfnExpected || e[13] != lfnChecksum)
                {
                    lfnExpected = 0;
                    continue;
                }
                if (seq != lfnExpected)
                {
                    lfnExpected = 0;
                    continue;
                }
                var at = (seq - 1) * 13;
                for (var i = 0; i < 5; i++)
                {
                    lfn[at + i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(1 + (i * 2), 2));
                }
                for (var i = 0; i < 6; i++)
                {
                    lfn[at + 5 + i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(14 + (i * 2), 2));
                }
                for (var i = 0; i < 2; i++)
                {
                    lfn[at + 11 + i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(28 + (i * 2), 2));
                }
                lfnExpected--;
                if (lfnExpected == 0)
                {
                    lfnExpected = -1;   // complete: waits for its short entry
                }
                continue;
            }
            var shortName = e[..11];
            string? longName = null;
            if (lfnExpected == -1 && Checksum(shortName) == lfnChecksum)
            {
                var chars = lfn.AsSpan(0, lfnCount * 13);
                var end = chars.IndexOf('\0');
                longName = new string(end < 0 ? chars.TrimEnd('\uFFFF') : chars[..end]);
            }
            lfnExpected = 0;
            if ((attr & FatDirectoryEntry.AttrVolumeId) != 0)
            {
                if ((attr & FatDirectoryEntry.AttrDirectory) == 0)
                {
                    volumeLabel ??= Encoding.Latin1.GetString(shortName).TrimEnd(' ');
                }
                continue;
            }
            var name = longName is { Length: > 0 } ? longName : ShortName(shortName, e[12]);
            if (name is "." or "..")
            {
                continue;
            }
            if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                throw FatBootSector.Error(path, ImageError.BadHeader, $"directory {where}: entry at byte {pos} has an invalid name");
            }
            var cluster = ((uint)BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(20, 2)) << 16) | BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(26, 2));
            var size = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(28, 4));
            result.Add(new FatDirectoryEntry(name, attr, cluster, size,
                Timestamp(BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(24, 2)), BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(22, 2)))));
        }
        return result;
    }

    /// <summary>The VFAT checksum of an 8.3 name: rotate right one bit, add the next byte.</summary>
    public static byte Checksum(ReadOnlySpan<byte> shortName)
    {
        byte sum = 0;
        foreach (var b in shortName[..11])
        {
            sum = unchecked((byte)((((sum & 1) << 7) | (sum >> 1)) + b));
        }
        return sum;
    }

    private static string ShortName(ReadOnlySpan<byte> n, byte caseBits)
    {
        Span<byte> b = stackalloc byte[11];
        n.CopyTo(b);
        if (b[0] == 0x05)
        {
            b[0] = 0xE5;
        }
        var baseName = Encoding.Latin1.GetString(b[..8]).TrimEnd(' ');
        var ext = Encoding.Latin1.GetString(b[8..]).TrimEnd(' ');
        if ((caseBits & 0x08) != 0)
        {
            baseName = baseName.ToLowerInvariant();
        }
        if ((caseBits & 0x10) != 0)
        {
            ext = ext.ToLowerInvariant();
        }
        return ext.Length == 0 ? baseName : baseName + "." + ext;
    }

    private static DateTimeOffset? Timestamp(ushort date, ushort time)
    {
        int year = 1980 + (date >> 9), month = (date >> 5) & 0xF, day = date & 0x1F;
        int hour = time >> 11, minute = (time >> 5) & 0x3F, second = (time & 0x1F) * 2;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return null;
        }
        return new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
    }
}
