using System.Text;

namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>
/// Option 77. RFC 3004 says: a sequence of (length, class) items. iPXE instead sends the bare bytes
/// "iPXE" (its first byte, 0x69, read as a length would run past the end), as does much older software,
/// so a value that does not parse exactly as RFC 3004 items is taken as one plain string.
/// </summary>
public static class UserClass
{
    public static IReadOnlyList<string> Parse(ReadOnlySpan<byte> value)
    {
        var items = new List<string>();
        var i = 0;
        while (i < value.Length)
        {
            var len = value[i];
            if (len == 0 || i + 1 + len > value.Length)
            {
                return value.IsEmpty ? [] : [DhcpCodec.DecodeString(value)];
            }
            items.Add(DhcpCodec.DecodeString(value.Slice(i + 1, len)));
            i += 1 + len;
        }
        return items;
    }

    /// <summary>RFC 3004 encoding of <paramref name="classes"/>.</summary>
    public static byte[] Encode(params IEnumerable<string> classes)
    {
        var list = new List<byte>();
        foreach (var c in classes)
        {
            var b = Encoding.UTF8.GetBytes(c);
            if (b.Length is 0 or > 255)
            {
                throw new ArgumentException("a user class is 1..255 bytes", nameof(classes));
            }
            list.Add((byte)b.Length);
            list.AddRange(b);
        }
        return [.. list];
    }
}
