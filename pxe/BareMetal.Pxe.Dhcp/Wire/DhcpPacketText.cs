using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;

namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>
/// A stable, line-per-field text form of a packet: for logs, and for the golden-packet files
/// (tests/.../Dhcp/testdata/*.parsed) that pin what the codec reads from real firmware.
/// </summary>
public static class DhcpPacketText
{
    public static string Format(DhcpPacket p)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ci, $"op {p.Op} htype {p.HardwareType} hlen {p.HardwareAddressLength} hops {p.Hops} xid 0x{p.TransactionId:x8} secs {p.Seconds} flags 0x{p.Flags:x4}\n");
        sb.Append(ci, $"ciaddr {p.ClientAddress} yiaddr {p.YourAddress} siaddr {p.ServerAddress} giaddr {p.RelayAddress}\n");
        sb.Append(ci, $"chaddr {p.Mac}\n");
        sb.Append(ci, $"sname \"{p.ServerName}\"\n");
        sb.Append(ci, $"file \"{p.BootFile}\"\n");
        foreach (var o in p.Options)
        {
            sb.Append(ci, $"option {(byte)o.Code} {Name(o.Code)}: {Value(o)}\n");
        }
        return sb.ToString();
    }

    private static string Name(DhcpOptionCode c) => Enum.IsDefined(c) ? c.ToString() : "Unknown";

    private static string Value(DhcpOption o)
    {
        var v = o.Value;
        var ci = CultureInfo.InvariantCulture;
        switch (o.Code)
        {
            case DhcpOptionCode.MessageType:
                return Enum.IsDefined((DhcpMessageType)v[0]) ? ((DhcpMessageType)v[0]).ToString() : v[0].ToString(ci);
            case DhcpOptionCode.SubnetMask or DhcpOptionCode.Router or DhcpOptionCode.DomainNameServer or DhcpOptionCode.NtpServers or DhcpOptionCode.ServerIdentifier
                or DhcpOptionCode.RequestedIpAddress or DhcpOptionCode.BroadcastAddress:
                return string.Join(' ', Enumerable.Range(0, v.Length / 4).Select(i => new IPAddress(v.AsSpan(i * 4, 4)).ToString()));
            case DhcpOptionCode.LeaseTime or DhcpOptionCode.RenewalTime or DhcpOptionCode.RebindingTime:
                return BinaryPrimitives.ReadUInt32BigEndian(v).ToString(ci);
            case DhcpOptionCode.MaxMessageSize:
                return BinaryPrimitives.ReadUInt16BigEndian(v).ToString(ci);
            case DhcpOptionCode.ParameterRequestList:
                return string.Join(' ', v.Select(b => b.ToString(ci)));
            case DhcpOptionCode.ClientArchitecture:
                return string.Join(' ', Enumerable.Range(0, v.Length / 2).Select(i =>
                {
                    var a = (ClientArchitecture)BinaryPrimitives.ReadUInt16BigEndian(v.AsSpan(i * 2));
                    return $"{(ushort)a} ({a})";
                }));
            case DhcpOptionCode.ClientNetworkInterface:
                return $"type {v[0]} version {v[1]}.{v[2]}";
            case DhcpOptionCode.ClientMachineIdentifier:
                return $"type {v[0]} guid {new Guid(v.AsSpan(1))}";
            case DhcpOptionCode.ClientIdentifier:
                return $"type {v[0]} {Convert.ToHexStringLower(v.AsSpan(1))}";
            case DhcpOptionCode.UserClass:
                return "[" + string.Join(", ", UserClass.Parse(v).Select(s => $"\"{s}\"")) + "]";
            case DhcpOptionCode.VendorClassIdentifier or DhcpOptionCode.HostName or DhcpOptionCode.DomainName
                or DhcpOptionCode.TftpServerName or DhcpOptionCode.BootFileName:
                return $"\"{DhcpProtocolException.Escape(v, int.MaxValue)}\"";
            case DhcpOptionCode.VendorSpecific:
                try
                {
                    var x = PxeVendorOptions.Parse(v);
                    return $"pxe control {x.DiscoveryControl?.ToString(ci) ?? "-"} servers {x.BootServers.Count} menu {x.BootMenu.Count} (hex {Convert.ToHexStringLower(v)})";
                }
                catch (DhcpProtocolException)
                {
                    return $"hex {Convert.ToHexStringLower(v)}";
                }
            default:
                return $"hex {Convert.ToHexStringLower(v)}";
        }
    }
}
