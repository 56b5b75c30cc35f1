using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>
/// DHCPv4 / BOOTP codec (RFC 951, 2131, 2132, 3396). Pure: spans in, bytes out. A datagram is always
/// whole, so there is no "need more": a short or malformed one throws <see cref="DhcpProtocolException"/>.
/// </summary>
public static class DhcpCodec
{
    // Fixed header layout (RFC 2131 figure 1), byte offsets.
    private const int OpOffset = 0;
    private const int HtypeOffset = 1;
    private const int HlenOffset = 2;
    private const int HopsOffset = 3;
    private const int XidOffset = 4;
    private const int SecsOffset = 8;
    private const int FlagsOffset = 10;
    private const int CiaddrOffset = 12;
    private const int YiaddrOffset = 16;
    private const int SiaddrOffset = 20;
    private const int GiaddrOffset = 24;
    private const int ChaddrOffset = 28;

    /// <summary>chaddr is 16 bytes; hlen may not exceed it.</summary>
    public const int ChaddrLength = 16;
    private const int SnameOffset = 44;

    /// <summary>sname: 64 bytes, NUL-terminated server host name (or options when overloaded).</summary>
    public const int SnameLength = 64;
    private const int FileOffset = 108;

    /// <summary>file: 128 bytes, NUL-terminated boot file name (or options when overloaded).</summary>
    public const int FileLength = 128;

    /// <summary>End of the BOOTP fixed header; the magic cookie follows.</summary>
    public const int FixedHeaderLength = 236;

    /// <summary>99.130.83.99 (RFC 2131 3): the vendor area holds DHCP options.</summary>
    public const uint MagicCookie = 0x63825363;

    /// <summary>Header + cookie: the shortest datagram we accept.</summary>
    public const int MinimumLength = FixedHeaderLength + 4;

    /// <summary>RFC 1542 2.1: BOOTP relays and old clients drop messages shorter than 300 bytes, so replies are padded.</summary>
    public const int MinimumReplyLength = 300;

    /// <summary>Largest UDP payload over IPv4.</summary>
    public const int MaximumLength = 65507;

    /// <summary>An option instance carries at most 255 bytes; longer values are split (RFC 3396).</summary>
    public const int MaxOptionInstanceLength = 255;

    /// <summary>Decodes one datagram. Throws <see cref="DhcpProtocolException"/> for anything malformed.</summary>
    public static DhcpPacket Read(ReadOnlySpan<byte> d)
    {
        if (d.Length < MinimumLength)
        {
            throw DhcpProtocolException.Create(DhcpProtocolError.PacketTooShort, $"{d.Length} bytes, need at least {MinimumLength}", d, 0);
        }
        if (d.Length > MaximumLength)
        {
            throw new DhcpProtocolException(DhcpProtocolError.PacketTooLong, $"{d.Length} bytes, at most {MaximumLength}");
        }
        var op = d[OpOffset];
        if (op is not ((byte)DhcpOpCode.BootRequest or (byte)DhcpOpCode.BootReply))
        {
            throw DhcpProtocolException.Create(DhcpProtocolError.BadOpCode, $"op {op}", d[..4], OpOffset);
        }
        var hlen = d[HlenOffset];
        if (hlen > ChaddrLength)
        {
            throw DhcpProtocolException.Create(DhcpProtocolError.BadHardwareAddressLength, $"hlen {hlen} > {ChaddrLength}", d[..4], HlenOffset);
        }
        var cookie = BinaryPrimitives.ReadUInt32BigEndian(d[FixedHeaderLength..]);
        var segments = new List<Segment>();
        var overload = 0;
        if (cookie == MagicCookie)
        {
            ReadArea(d, MinimumLength, d.Length - MinimumLength, requireEnd: true, segments);
            overload = ReadOverload(d, segments);
            // RFC 2131 4.1: options field first, then file, then sname.
            if ((overload & 1) != 0)
            {
                ReadArea(d, FileOffset, FileLength, requireEnd: false, segments);
            }
            if ((overload & 2) != 0)
            {
                ReadArea(d, SnameOffset, SnameLength, requireEnd: false, segments);
            }
        }
        // Without the cookie this is a plain BOOTP message (RFC 951 vendor area): no options.
        var options = Assemble(d, segments);
        foreach (var o in options)
        {
            Validate(o);
        }
        return new DhcpPacket(
            (DhcpOpCode)op,
            d[HtypeOffset],
            hlen,
            d[HopsOffset],
            BinaryPrimitives.ReadUInt32BigEndian(d[XidOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(d[SecsOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(d[FlagsOffset..]),
            new IPAddress(d.Slice(CiaddrOffset, 4)),
            new IPAddress(d.Slice(YiaddrOffset, 4)),
            new IPAddress(d.Slice(SiaddrOffset, 4)),
            new IPAddress(d.Slice(GiaddrOffset, 4)),
            d.Slice(ChaddrOffset, ChaddrLength).ToArray(),
            (overload & 2) != 0 ? "" : DecodeCString(d.Slice(SnameOffset, SnameLength)),
            (overload & 1) != 0 ? "" : DecodeCString(d.Slice(FileOffset, FileLength)),
            options);
    }

    /// <summary>
    /// Encodes <paramref name="p"/>: options in list order, values over 255 bytes split into consecutive
    /// instances (RFC 3396), End, then zero padding up to <see cref="MinimumReplyLength"/>.
    /// </summary>
    public static byte[] Write(DhcpPacket p)
    {
        var size = MinimumLength + 1;
        foreach (var o in p.Options)
        {
            if (o.Code is DhcpOptionCode.Pad or DhcpOptionCode.End)
            {
                throw new ArgumentException("Pad and End are written by the codec", nameof(p));
            }
            var instances = Math.Max(1, (o.Value.Length + MaxOptionInstanceLength - 1) / MaxOptionInstanceLength);
            size += o.Value.Length + (2 * instances);
        }
        if (size > MaximumLength)
        {
            throw new ArgumentException($"packet of {size} bytes exceeds {MaximumLength}", nameof(p));
        }
        var buf = new byte[Math.Max(size, MinimumReplyLength)];
        buf[OpOffset] = (byte)p.Op;
        buf[HtypeOffset] = p.HardwareType;
        buf[HlenOffset] = p.HardwareAddressLength;
        buf[HopsOffset] = p.Hops;
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(XidOffset), p.TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(SecsOffset), p.Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(FlagsOffset), p.Flags);
        AddressBytes(p.ClientAddress).CopyTo(buf, CiaddrOffset);
        AddressBytes(p.YourAddress).CopyTo(buf, YiaddrOffset);
        AddressBytes(p.ServerAddress).CopyTo(buf, SiaddrOffset);
        AddressBytes(p.RelayAddress).CopyTo(buf, GiaddrOffset);
        p.ClientHardwareAddress.AsSpan(0, Math.Min(ChaddrLength, p.ClientHardwareAddress.Length)).CopyTo(buf.AsSpan(ChaddrOffset));
        WriteCString(p.ServerName, buf.AsSpan(SnameOffset, SnameLength), "sname");
        WriteCString(p.BootFile, buf.AsSpan(FileOffset, FileLength), "file");
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(FixedHeaderLength), MagicCookie);
        var pos = MinimumLength;
        foreach (var o in p.Options)
        {
            var v = o.Value.AsSpan();
            do
            {
                var n = Math.Min(v.Length, MaxOptionInstanceLength);
                buf[pos++] = (byte)o.Code;
                buf[pos++] = (byte)n;
                v[..n].CopyTo(buf.AsSpan(pos));
                pos += n;
                v = v[n..];
            }
            while (!v.IsEmpty);
        }
        buf[pos] = (byte)DhcpOptionCode.End;
        return buf;
    }

    internal static byte[] AddressBytes(IPAddress a)
    {
        if (a.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{a} is not IPv4", nameof(a));
        }
        return a.GetAddressBytes();
    }

    /// <summary>A string option value: UTF-8, with the trailing NULs some clients send removed.</summary>
    internal static string DecodeString(ReadOnlySpan<byte> v)
    {
        var end = v.Length;
        while (end > 0 && v[end - 1] == 0)
        {
            end--;
        }
        return Encoding.UTF8.GetString(v[..end]);
    }

    private static string DecodeCString(ReadOnlySpan<byte> field)
    {
        var nul = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? field : field[..nul]);
    }

    private static void WriteCString(string s, Span<byte> field, string name)
    {
        if (s.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{name} contains a NUL", nameof(s));
        }
        var bytes = Encoding.UTF8.GetBytes(s);
        // The field must keep its terminating NUL.
        if (bytes.Length >= field.Length)
        {
            throw new ArgumentException($"{name} of {bytes.Length} bytes does not fit {field.Length - 1}", nameof(s));
        }
        bytes.CopyTo(field);
    }

    private readonly record struct Segment(byte Code, int Offset, int Length);

    private static void ReadArea(ReadOnlySpan<byte> d, int start, int length, bool requireEnd, List<Segment> segments)
    {
        var area = d.Slice(start, length);
        var i = 0;
        while (i < area.Length)
        {
            var code = area[i];
            if (code == (byte)DhcpOptionCode.Pad)
            {
                i++;
                continue;
            }
            if (code == (byte)DhcpOptionCode.End)
            {
                return;
            }
            if (i + 1 >= area.Length)
            {
                throw DhcpProtocolException.Create(DhcpProtocolError.OptionLengthMissing, $"option {code} has no length byte", area[i..], start + i);
            }
            var len = area[i + 1];
            if (i + 2 + len > area.Length)
            {
                throw DhcpProtocolException.Create(DhcpProtocolError.OptionValueTruncated,
                    $"option {code} of length {len} overruns its area by {i + 2 + len - area.Length}", area[i..], start + i);
            }
            segments.Add(new Segment(code, start + i + 2, len));
            i += 2 + len;
        }
        if (requireEnd)
        {
            throw DhcpProtocolException.Create(DhcpProtocolError.MissingEndOption, "options field has no End option", ReadOnlySpan<byte>.Empty, start + i);
        }
    }

    private static int ReadOverload(ReadOnlySpan<byte> d, List<Segment> segments)
    {
        foreach (var s in segments)
        {
            if (s.Code == (byte)DhcpOptionCode.Overload)
            {
                var v = d.Slice(s.Offset, s.Length);
                if (v.Length != 1 || v[0] is < 1 or > 3)
                {
                    throw DhcpProtocolException.Create(DhcpProtocolError.BadOverloadValue, "option 52 must be one byte 1..3", v, s.Offset);
                }
                return v[0];
            }
        }
        return 0;
    }

    /// <summary>RFC 3396: all instances of one code, in order, form one value.</summary>
    private static List<DhcpOption> Assemble(ReadOnlySpan<byte> d, List<Segment> segments)
    {
        var order = new List<byte>();
        var parts = new Dictionary<byte, List<byte>>();
        foreach (var s in segments)
        {
            if (!parts.TryGetValue(s.Code, out var list))
            {
                list = [];
                parts.Add(s.Code, list);
                order.Add(s.Code);
            }
            list.AddRange(d.Slice(s.Offset, s.Length));
        }
        var result = new List<DhcpOption>(order.Count);
        foreach (var c in order)
        {
            result.Add(new DhcpOption((DhcpOptionCode)c, [.. parts[c]]));
        }
        return result;
    }

    /// <summary>Lengths fixed by the option definitions, checked once here so the sessions can trust them.</summary>
    private static void Validate(DhcpOption o)
    {
        var n = o.Value.Length;
        var ok = o.Code switch
        {
            DhcpOptionCode.MessageType or DhcpOptionCode.Overload => n == 1,
            DhcpOptionCode.SubnetMask or DhcpOptionCode.ServerIdentifier or DhcpOptionCode.RequestedIpAddress
                or DhcpOptionCode.LeaseTime or DhcpOptionCode.BroadcastAddress or DhcpOptionCode.RenewalTime
                or DhcpOptionCode.RebindingTime => n == 4,
            DhcpOptionCode.Router or DhcpOptionCode.DomainNameServer or DhcpOptionCode.NtpServers => n >= 4 && n % 4 == 0,
            DhcpOptionCode.MaxMessageSize => n == 2,
            DhcpOptionCode.ClientArchitecture => n >= 2 && n % 2 == 0,
            DhcpOptionCode.ClientNetworkInterface => n == 3,
            DhcpOptionCode.ClientMachineIdentifier => n == 17,
            DhcpOptionCode.ClientIdentifier => n >= 2,
            _ => true,
        };
        if (!ok)
        {
            throw DhcpProtocolException.Create(DhcpProtocolError.InvalidOptionLength, $"option {(byte)o.Code} has invalid length {n}", o.Value, 0);
        }
        if (o.Code == DhcpOptionCode.ClientMachineIdentifier && o.Value[0] != 0)
        {
            throw DhcpProtocolException.Create(DhcpProtocolError.BadClientIdentifierType, $"option 97 type {o.Value[0]}, expected 0 (GUID)", o.Value, 0);
        }
    }
}
