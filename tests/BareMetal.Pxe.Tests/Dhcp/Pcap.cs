using System.Buffers.Binary;

namespace BareMetal.Pxe.Tests.Dhcp;

/// <summary>
/// Just enough of libpcap's file format (Ethernet link type, IPv4, UDP) to pull DHCP payloads out of
/// the golden captures.
/// </summary>
public static class Pcap
{
    /// <summary>Magic of a microsecond pcap written on a little-endian host (as tshark does here).</summary>
    private const uint MagicLittleEndian = 0xa1b2c3d4;
    private const int GlobalHeaderLength = 24;
    private const int RecordHeaderLength = 16;
    private const int EthernetHeaderLength = 14;
    private const ushort EtherTypeIpv4 = 0x0800;
    private const byte IpProtocolUdp = 17;
    private const int UdpHeaderLength = 8;

    public static IReadOnlyList<UdpFrame> ReadUdp(string path)
    {
        var data = File.ReadAllBytes(path);
        var s = data.AsSpan();
        if (BinaryPrimitives.ReadUInt32LittleEndian(s) != MagicLittleEndian)
        {
            throw new InvalidDataException($"{path}: not a little-endian microsecond pcap (pcapng? convert with editcap -F pcap)");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(s[20..]) != 1)
        {
            throw new InvalidDataException($"{path}: link type is not Ethernet");
        }
        var frames = new List<UdpFrame>();
        var pos = GlobalHeaderLength;
        var number = 0;
        while (pos + RecordHeaderLength <= s.Length)
        {
            var captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(pos + 8)..]);
            var frame = s.Slice(pos + RecordHeaderLength, captured);
            pos += RecordHeaderLength + captured;
            number++;
            if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherTypeIpv4)
            {
                continue;
            }
            var ip = frame[EthernetHeaderLength..];
            var ihl = (ip[0] & 0x0f) * 4;
            if (ip[9] != IpProtocolUdp)
            {
                continue;
            }
            var udp = ip[ihl..];
            var length = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
            frames.Add(new UdpFrame(number, BinaryPrimitives.ReadUInt16BigEndian(udp), BinaryPrimitives.ReadUInt16BigEndian(udp[2..]), udp[UdpHeaderLength..length].ToArray()));
        }
        return frames;
    }
}

public sealed record UdpFrame(int Number, int SourcePort, int DestinationPort, byte[] Payload);
