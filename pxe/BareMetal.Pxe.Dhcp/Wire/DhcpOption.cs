using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>
/// One option after RFC 3396 reassembly: every instance of the code in the packet (options field, then
/// <c>file</c>, then <c>sname</c> when overloaded) concatenated in order. Values longer than 255 bytes are
/// split again by the writer.
/// </summary>
public readonly record struct DhcpOption(DhcpOptionCode Code, byte[] Value)
{
    public static DhcpOption Byte(DhcpOptionCode code, byte value) => new(code, [value]);

    public static DhcpOption UInt16(DhcpOptionCode code, ushort value)
    {
        var v = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(v, value);
        return new(code, v);
    }

    public static DhcpOption UInt32(DhcpOptionCode code, uint value)
    {
        var v = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(v, value);
        return new(code, v);
    }

    public static DhcpOption Addresses(DhcpOptionCode code, params IEnumerable<IPAddress> addresses)
    {
        var list = new List<byte>();
        foreach (var a in addresses)
        {
            list.AddRange(DhcpCodec.AddressBytes(a));
        }
        return new(code, [.. list]);
    }

    /// <summary>
    /// A string option, ASCII/UTF-8 without a terminating NUL: RFC 2132 says strings are not NUL-terminated
    /// and some clients (U-Boot, older PXE ROMs) take a trailing NUL as part of the file name.
    /// </summary>
    public static DhcpOption String(DhcpOptionCode code, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"option {(byte)code} string contains a NUL", nameof(value));
        }
        return new(code, Encoding.UTF8.GetBytes(value));
    }

    /// <summary>The value as a string, trailing NULs removed (clients do send them).</summary>
    public string AsString() => DhcpCodec.DecodeString(Value);
}
