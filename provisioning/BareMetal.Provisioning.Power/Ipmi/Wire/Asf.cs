using System.Buffers.Binary;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// ASF presence ping/pong (DSP0136 3.2.4; IPMI 2.0 section 13.2.3): a session-less probe that tells
/// "a BMC is there and speaks IPMI" apart from "nothing answers".
/// </summary>
public static class Asf
{
    /// <summary>The ASF IANA enterprise number 4542 (0x11BE), big-endian on the wire.</summary>
    public const uint AsfIana = 4542;
    public const byte PresencePing = 0x80;
    public const byte PresencePong = 0x40;
    public const int PingLength = Rmcp.HeaderLength + 8;
    public const int PongLength = Rmcp.HeaderLength + 8 + 16;

    public static byte[] WritePing(byte messageTag)
    {
        var d = new byte[PingLength];
        Rmcp.WriteHeader(d, RmcpClass.Asf);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), AsfIana);
        d[8] = PresencePing;
        d[9] = messageTag;
        d[10] = 0; // reserved
        d[11] = 0; // data length: a ping carries none
        return d;
    }

    public static AsfPong ReadPong(ReadOnlySpan<byte> datagram)
    {
        if (Rmcp.ReadHeader(datagram) != RmcpClass.Asf)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadAsfMessage, "not an ASF message", datagram);
        }
        if (datagram.Length < PongLength)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "ASF pong shorter than 28 bytes", datagram);
        }
        if (datagram[8] != PresencePong || datagram[11] < 16)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadAsfMessage, "ASF message is not a presence pong", datagram);
        }
        // Pong data: IANA (4), OEM (4), supported entities (bit 7 = IPMI), interactions, 6 reserved.
        var iana = BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]);
        return new AsfPong(datagram[9], iana, (datagram[20] & 0x80) != 0);
    }
}
