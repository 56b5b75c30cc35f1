using System.Globalization;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// The 4-byte RMCP header in front of every datagram on UDP 623 (IPMI 2.0 section 13.1.3):
/// version 0x06 (RMCP 1.0), a reserved byte, sequence 0xFF (no RMCP ACK wanted; IPMI never asks for
/// one) and the message class.
/// </summary>
public static class Rmcp
{
    public const int HeaderLength = 4;
    public const byte Version = 0x06;
    public const byte NoAckSequence = 0xFF;

    /// <summary>The largest datagram we build or accept: IPMI messages are small; 1 KiB leaves room for any BMC's padding.</summary>
    public const int MaxDatagram = 1024;

    public static void WriteHeader(Span<byte> destination, RmcpClass messageClass)
    {
        destination[0] = Version;
        destination[1] = 0;
        destination[2] = NoAckSequence;
        destination[3] = (byte)messageClass;
    }

    /// <summary>The class of a datagram; throws when the header is missing or not RMCP 1.0.</summary>
    public static RmcpClass ReadHeader(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < HeaderLength)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "datagram shorter than the RMCP header", datagram);
        }
        if (datagram.Length > MaxDatagram)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadLength, $"datagram longer than {MaxDatagram.ToString(CultureInfo.InvariantCulture)} bytes", datagram);
        }
        if (datagram[0] != Version)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadRmcpHeader, $"RMCP version 0x{datagram[0]:x2}, expected 0x06", datagram);
        }
        // Bit 7 of the class byte marks an RMCP ACK; IPMI never requests one, so an ACK is not ours.
        var cls = datagram[3];
        return cls switch
        {
            (byte)RmcpClass.Asf => RmcpClass.Asf,
            (byte)RmcpClass.Ipmi => RmcpClass.Ipmi,
            _ => throw IpmiProtocolException.Create(IpmiProtocolError.BadRmcpHeader, $"RMCP class 0x{cls:x2} is neither ASF nor IPMI", datagram),
        };
    }
}
