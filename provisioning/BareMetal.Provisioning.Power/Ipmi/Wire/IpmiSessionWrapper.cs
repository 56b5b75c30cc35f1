using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// The session wrappers after the RMCP header (IPMI 2.0 section 13.6 and 13.8).
/// IPMI 1.5 with auth type NONE carries only the pre-session Get Channel Authentication
/// Capabilities. RMCP+ (auth type 0x06) carries everything else:
/// <code>
/// authType 06 | payloadType (b7 encrypted, b6 authenticated, b5:0 type) | session ID (4, LE) |
/// sequence (4, LE) | payload length (2, LE) | payload |
/// [integrity pad 0xFF.. | pad length | next header 07 | AuthCode]   (authenticated packets only)
/// </code>
/// The pad makes authType..next header a multiple of 4 bytes; the AuthCode is the integrity HMAC
/// (keyed with K1) over exactly those bytes.
/// </summary>
public static class IpmiSessionWrapper
{
    public const byte AuthTypeNone = 0x00;
    public const byte AuthTypeRmcpPlus = 0x06;
    public const byte NextHeader = 0x07;
    private const int V15HeaderLength = 1 + 4 + 4 + 1;
    private const int V2HeaderLength = 1 + 1 + 4 + 4 + 2;

    public static byte[] WriteV15(ReadOnlySpan<byte> message)
    {
        var d = new byte[Rmcp.HeaderLength + V15HeaderLength + message.Length];
        Rmcp.WriteHeader(d, RmcpClass.Ipmi);
        d[4] = AuthTypeNone; // sequence and session ID stay zero: outside any session
        d[13] = checked((byte)message.Length);
        message.CopyTo(d.AsSpan(14));
        return d;
    }

    /// <summary>The IPMI message inside an IPMI 1.5 packet with auth type NONE.</summary>
    public static byte[] ReadV15(ReadOnlySpan<byte> datagram)
    {
        if (Rmcp.ReadHeader(datagram) != RmcpClass.Ipmi)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.UnexpectedPayload, "ASF message where IPMI was expected", datagram);
        }
        if (datagram.Length < Rmcp.HeaderLength + V15HeaderLength)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "IPMI 1.5 session header truncated", datagram);
        }
        if (datagram[4] != AuthTypeNone)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.UnsupportedAuthType, $"IPMI 1.5 auth type 0x{datagram[4]:x2}; only NONE is used before RMCP+", datagram);
        }
        int length = datagram[13];
        if (Rmcp.HeaderLength + V15HeaderLength + length > datagram.Length)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadLength, $"IPMI 1.5 message length {length.ToString(CultureInfo.InvariantCulture)} beyond the datagram", datagram);
        }
        return datagram.Slice(14, length).ToArray();
    }

    /// <summary>The auth type byte after the RMCP header: tells a 1.5 reply (pre-session) from an RMCP+ one.</summary>
    public static byte PeekAuthType(ReadOnlySpan<byte> datagram) =>
        datagram.Length > Rmcp.HeaderLength ? datagram[Rmcp.HeaderLength] : throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "no session header", datagram);

    /// <summary>Builds an RMCP+ packet; with <paramref name="k1"/> it is authenticated (integrity trailer added).</summary>
    public static byte[] WriteV2(IpmiPayloadType type, bool encrypted, uint sessionId, uint sequence, ReadOnlySpan<byte> payload, CipherSuite? suite = null, byte[]? k1 = null)
    {
        var authenticated = k1 is not null;
        var bodyLength = V2HeaderLength + payload.Length;
        var pad = authenticated ? (4 - ((bodyLength + 2) % 4)) % 4 : 0;
        var trailer = authenticated ? pad + 2 + suite!.IntegrityLength : 0;
        var d = new byte[Rmcp.HeaderLength + bodyLength + trailer];
        Rmcp.WriteHeader(d, RmcpClass.Ipmi);
        var s = d.AsSpan(Rmcp.HeaderLength);
        s[0] = AuthTypeRmcpPlus;
        s[1] = (byte)((byte)type | (encrypted ? 0x80 : 0) | (authenticated ? 0x40 : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(s[2..], sessionId);
        BinaryPrimitives.WriteUInt32LittleEndian(s[6..], sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(s[10..], checked((ushort)payload.Length));
        payload.CopyTo(s[12..]);
        if (authenticated)
        {
            var p = bodyLength;
            s.Slice(p, pad).Fill(0xFF);
            s[p + pad] = (byte)pad;
            s[p + pad + 1] = NextHeader;
            var covered = p + pad + 2;
            suite!.Integrity(k1!, s[..covered]).CopyTo(s[covered..]);
        }
        return d;
    }

    /// <summary>
    /// Parses an RMCP+ packet. An authenticated one is checked against <paramref name="k1"/>; one that
    /// claims authentication when no session keys exist yet is refused.
    /// </summary>
    public static IpmiV2Packet ReadV2(ReadOnlySpan<byte> datagram, CipherSuite? suite = null, byte[]? k1 = null)
    {
        if (Rmcp.ReadHeader(datagram) != RmcpClass.Ipmi)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.UnexpectedPayload, "ASF message where IPMI was expected", datagram);
        }
        var s = datagram[Rmcp.HeaderLength..];
        if (s.Length < V2HeaderLength)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "RMCP+ session header truncated", datagram);
        }
        if (s[0] != AuthTypeRmcpPlus)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.UnsupportedAuthType, $"auth type 0x{s[0]:x2} where RMCP+ (0x06) was expected", datagram);
        }
        var encrypted = (s[1] & 0x80) != 0;
        var authenticated = (s[1] & 0x40) != 0;
        var type = (IpmiPayloadType)(s[1] & 0x3F);
        if (type == IpmiPayloadType.Oem)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.UnexpectedPayload, "OEM payloads are not supported", datagram);
        }
        var sessionId = BinaryPrimitives.ReadUInt32LittleEndian(s[2..]);
        var sequence = BinaryPrimitives.ReadUInt32LittleEndian(s[6..]);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(s[10..]);
        if (V2HeaderLength + length > s.Length)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadLength, $"RMCP+ payload length {length.ToString(CultureInfo.InvariantCulture)} beyond the datagram", datagram);
        }
        var payload = s.Slice(V2HeaderLength, length);
        if (authenticated)
        {
            if (suite is null || k1 is null)
            {
                throw IpmiProtocolException.Create(IpmiProtocolError.BadIntegrity, "authenticated packet before the session has keys", datagram);
            }
            var codeAt = s.Length - suite.IntegrityLength;
            var afterPayload = V2HeaderLength + length;
            if (codeAt - 2 < afterPayload)
            {
                throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "integrity trailer truncated", datagram);
            }
            if (s[codeAt - 1] != NextHeader || afterPayload + s[codeAt - 2] != codeAt - 2)
            {
                throw IpmiProtocolException.Create(IpmiProtocolError.BadPadding, "integrity pad length or next header wrong", datagram);
            }
            var expected = suite.Integrity(k1, s[..codeAt]);
            if (!CryptographicOperations.FixedTimeEquals(expected, s[codeAt..]))
            {
                // The AuthCode itself is not shown: it is derived from the session key.
                throw new IpmiProtocolException(IpmiProtocolError.BadIntegrity, "packet AuthCode does not match (forged, corrupted or another session's packet)");
            }
        }
        else if (V2HeaderLength + length != s.Length)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadLength, "bytes after an unauthenticated payload", datagram);
        }
        return new IpmiV2Packet(type, encrypted, authenticated, sessionId, sequence, payload.ToArray());
    }
}
