using System.Net;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Tests.Dhcp;

/// <summary>Client messages as firmware sends them, built for the session tests.</summary>
public static class Packets
{
    public static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    public const string MacText = "52:54:00:12:34:56";
    public static readonly byte[] Uuid = [0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01];

    public static DhcpPacket Request(DhcpMessageType type, byte[]? mac = null, IPAddress? ciaddr = null, ushort flags = 0, IPAddress? giaddr = null, params DhcpOption[] extra)
    {
        var chaddr = new byte[16];
        (mac ?? Mac).CopyTo(chaddr, 0);
        return new DhcpPacket(DhcpOpCode.BootRequest, 1, 6, 0, 0x1234abcd, 4, flags, ciaddr ?? IPAddress.Any, IPAddress.Any, IPAddress.Any,
            giaddr ?? IPAddress.Any, chaddr, "", "", [DhcpOption.Byte(DhcpOptionCode.MessageType, (byte)type), .. extra]);
    }

    /// <summary>A PXE ROM's DISCOVER: vendor class, 93, 94, 97 (unless <paramref name="withUuid"/> is false, as on Intel ROMs).</summary>
    public static DhcpPacket PxeDiscover(ushort arch, bool withUuid = true, byte[]? mac = null, string vendorPrefix = "PXEClient", params DhcpOption[] extra)
    {
        List<DhcpOption> o =
        [
            DhcpOption.String(DhcpOptionCode.VendorClassIdentifier, $"{vendorPrefix}:Arch:{arch:D5}:UNDI:003016"),
            DhcpOption.UInt16(DhcpOptionCode.ClientArchitecture, arch),
            new(DhcpOptionCode.ClientNetworkInterface, [1, 3, 16]),
        ];
        if (withUuid)
        {
            o.Add(new DhcpOption(DhcpOptionCode.ClientMachineIdentifier, Uuid));
        }
        o.AddRange(extra);
        return Request(DhcpMessageType.Discover, mac, extra: [.. o]);
    }

    public static DhcpPacket IpxeDiscover(bool viaUserClass = true) => PxeDiscover(0, extra: viaUserClass
        ? DhcpOption.String(DhcpOptionCode.UserClass, "iPXE")
        : new DhcpOption(DhcpOptionCode.IpxeEncapsulated, [0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e]));

    public static DhcpPacket With(this DhcpPacket p, DhcpMessageType type, params DhcpOption[] extra) =>
        p with { Options = [DhcpOption.Byte(DhcpOptionCode.MessageType, (byte)type), .. p.Options.Where(o => o.Code != DhcpOptionCode.MessageType), .. extra] };

    public static byte[] Bytes(this DhcpPacket p) => DhcpCodec.Write(p);

    public static DhcpPacket Parse(byte[] datagram) => DhcpCodec.Read(datagram);
}
