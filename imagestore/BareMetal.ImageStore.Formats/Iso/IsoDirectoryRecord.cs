using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>
/// One directory record (ECMA-119 9.1): u8 length, u8 extended attribute length, both-endian u32
/// extent LBA (2) and data length (10), 7-byte date (18), flags (25), unit size (26), gap (27),
/// both-endian u16 volume sequence (28), u8 identifier length (32), identifier (33), a pad byte when
/// the identifier length is even, then the system use area (Rock Ridge).
/// </summary>
public readonly record struct IsoDirectoryRecord(
    byte Length,
    uint ExtentLba,
    uint DataLength,
    IsoFileFlags Flags,
    string Name,
    bool IsSelf,
    bool IsParent,
    DateTimeOffset? Recorded,
    string? RockRidgeName,
    bool HasSharingProtocolMarker,
    byte SuspSkipBytes)
{
    /// <summary>Smallest record: the fixed part plus a one-byte identifier.</summary>
    public const int MinLength = 34;

    /// <summary>Offset of the identifier within the record.</summary>
    private const int NameOffset = 33;

    /// <summary>Most SUSP entries looked at in one record (a hostile one could chain 1-byte entries).</summary>
    private const int MaxSuspEntries = 64;

    /// <summary>
    /// Parses the record at the start of <paramref name="bytes"/>. Pure. <paramref name="joliet"/>: names are
    /// UCS-2 big-endian. <paramref name="suspSkip"/>: bytes to skip at the start of the system use area
    /// (the SUSP "SP" entry's LEN_SKP).
    /// </summary>
    public static IsoDirectoryRecord Parse(ReadOnlySpan<byte> bytes, bool joliet, int suspSkip, string? path)
    {
        if (bytes.Length < MinLength)
        {
            throw Error(path, ImageError.Truncated, $"directory record needs {MinLength} bytes, {bytes.Length} left");
        }
        var length = bytes[0];
        if (length < MinLength || length > bytes.Length)
        {
            throw Error(path, ImageError.BadHeader, $"directory record length {length} (minimum {MinLength}, {bytes.Length} bytes left)");
        }
        var rec = bytes[..length];
        var nameLength = rec[32];
        if (nameLength == 0 || NameOffset + nameLength > length)
        {
            throw Error(path, ImageError.BadHeader, $"directory record identifier length {nameLength} does not fit a record of {length} bytes");
        }
        var nameBytes = rec.Slice(NameOffset, nameLength);
        var isSelf = nameLength == 1 && nameBytes[0] == 0;
        var isParent = nameLength == 1 && nameBytes[0] == 1;
        var name = isSelf ? "." : isParent ? ".." : DecodeName(nameBytes, joliet);
        var suStart = NameOffset + nameLength + ((nameLength & 1) == 0 ? 1 : 0);
        string? rrName = null;
        var sp = false;
        byte skip = 0;
        if (suStart < length)
        {
            (rrName, sp, skip) = ParseSystemUse(rec[suStart..], suspSkip);
        }
        return new IsoDirectoryRecord(
            length,
            BinaryPrimitives.ReadUInt32LittleEndian(rec[2..]),
            BinaryPrimitives.ReadUInt32LittleEndian(rec[10..]),
            (IsoFileFlags)rec[25],
            name,
            isSelf,
            isParent,
            DecodeDate(rec.Slice(18, 7)),
            rrName,
            sp,
            skip);
    }

    private static string DecodeName(ReadOnlySpan<byte> raw, bool joliet)
    {
        var name = joliet ? Encoding.BigEndianUnicode.GetString(raw[..(raw.Length & ~1)]) : Encoding.Latin1.GetString(raw);
        // ";1" is the file version (ECMA-119 7.5); "NAME." is a name without extension.
        var semi = name.LastIndexOf(';');
        if (semi >= 0 && name[(semi + 1)..].All(char.IsAsciiDigit))
        {
            name = name[..semi];
        }
        if (!joliet && name.Length > 1 && name.EndsWith('.'))
        {
            name = name[..^1];
        }
        return name;
    }

    /// <summary>
    /// Rock Ridge NM (alternate name) and the SUSP "SP" indicator (check bytes 0xBE 0xEF, then LEN_SKP:
    /// bytes to skip at the start of every other system use area), from the system use area.
    /// </summary>
    private static (string? Name, bool Sp, byte Skip) ParseSystemUse(ReadOnlySpan<byte> su, int skip)
    {
        var sp = su.Length >= 7 && su[0] == (byte)'S' && su[1] == (byte)'P' && su[4] == 0xBE && su[5] == 0xEF;
        var lenSkp = sp ? su[6] : (byte)0;
        if (skip > 0 && !sp)
        {
            su = skip < su.Length ? su[skip..] : [];
        }
        StringBuilder? name = null;
        for (var i = 0; i < MaxSuspEntries && su.Length >= 4; i++)
        {
            var len = su[2];
            if (len < 4 || len > su.Length)
            {
                break;
            }
            var entry = su[..len];
            if (entry[0] == (byte)'N' && entry[1] == (byte)'M' && len >= 5)
            {
                // NM flags: bit 0 CONTINUE (the name goes on in the next NM), bits 1/2 "." and "..".
                if ((entry[4] & 0x06) == 0)
                {
                    name ??= new StringBuilder();
                    name.Append(Encoding.UTF8.GetString(entry[5..]));
                }
            }
            else if (entry[0] == (byte)'S' && entry[1] == (byte)'T')
            {
                break;
            }
            su = su[len..];
        }
        return (name?.ToString(), sp, lenSkp);
    }

    /// <summary>ECMA-119 9.1.5: years since 1900, month, day, hour, minute, second, GMT offset in 15-minute units.</summary>
    private static DateTimeOffset? DecodeDate(ReadOnlySpan<byte> d)
    {
        if (d[1] is < 1 or > 12 || d[2] is < 1 or > 31 || d[3] > 23 || d[4] > 59 || d[5] > 59)
        {
            return null;
        }
        var offset = unchecked((sbyte)d[6]);
        if (offset is < -48 or > 52)
        {
            return null;
        }
        try
        {
            return new DateTimeOffset(1900 + d[0], d[1], d[2], d[3], d[4], d[5], TimeSpan.FromMinutes(offset * 15));
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static ImageFormatException Error(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Iso, reason, problem);
}
