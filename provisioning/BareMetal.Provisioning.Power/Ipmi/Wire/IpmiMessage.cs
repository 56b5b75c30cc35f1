using System.Globalization;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// The IPMB-style message inside a LAN session (IPMI 2.0 section 13.8): two header bytes and a
/// checksum, then requester address, sequence, command, data and a second checksum. Checksums are
/// two's complement so that the covered bytes plus the checksum sum to zero (mod 256).
/// </summary>
public static class IpmiMessage
{
    /// <summary>The BMC's responder slave address.</summary>
    public const byte BmcAddress = 0x20;

    /// <summary>Requester software ID 0x40 as an address (0x81 = SWID 0x40 &lt;&lt; 1 | 1), as ipmitool uses.</summary>
    public const byte RemoteConsoleAddress = 0x81;

    /// <summary>rsAddr, netFn/LUN, chk1, rqAddr, rqSeq/LUN, cmd, chk2: the bytes around the data.</summary>
    public const int Overhead = 7;

    /// <summary>A response adds the completion code to the overhead.</summary>
    public const int MinResponseLength = Overhead + 1;

    /// <summary>Request data larger than this is a programming error (IPMI LAN messages are far smaller).</summary>
    public const int MaxData = 255;

    public static byte[] WriteRequest(IpmiRequest request, byte sequence)
    {
        if (request.Data.Length > MaxData)
        {
            throw new ArgumentException("IPMI request data too long", nameof(request));
        }
        var m = new byte[Overhead + request.Data.Length];
        m[0] = BmcAddress;
        m[1] = (byte)((byte)request.NetFn << 2); // LUN 0
        m[2] = Checksum(m.AsSpan(0, 2));
        m[3] = RemoteConsoleAddress;
        m[4] = (byte)((sequence & 0x3F) << 2); // LUN 0
        m[5] = request.Command;
        request.Data.CopyTo(m.AsSpan(6));
        m[^1] = Checksum(m.AsSpan(3, m.Length - 4));
        return m;
    }

    public static IpmiResponse ReadResponse(ReadOnlySpan<byte> message)
    {
        if (message.Length < MinResponseLength)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, $"IPMI response shorter than {MinResponseLength.ToString(CultureInfo.InvariantCulture)} bytes", message);
        }
        if (Checksum(message[..2]) != message[2])
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadChecksum, "IPMI response header checksum does not match", message);
        }
        if (Checksum(message[3..^1]) != message[^1])
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadChecksum, "IPMI response data checksum does not match", message);
        }
        var netFn = (byte)(message[1] >> 2);
        if ((netFn & 1) == 0)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.UnexpectedPayload, "IPMI message is a request, not a response", message);
        }
        return new IpmiResponse(netFn, message[5], (byte)(message[4] >> 2), message[6], message[7..^1].ToArray());
    }

    /// <summary>Two's-complement checksum: the byte that makes the covered bytes sum to zero.</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        var sum = 0;
        foreach (var b in bytes)
        {
            sum += b;
        }
        return unchecked((byte)(-sum));
    }
}
