using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>
/// A DHCPv4/BOOTP message (RFC 2131 figure 1). <see cref="ServerName"/> and <see cref="BootFile"/> are
/// empty when option 52 overloaded those fields with options. Options are in first-appearance order,
/// each reassembled per RFC 3396.
/// </summary>
public readonly record struct DhcpPacket(
    DhcpOpCode Op,
    byte HardwareType,
    byte HardwareAddressLength,
    byte Hops,
    uint TransactionId,
    ushort Seconds,
    ushort Flags,
    IPAddress ClientAddress,
    IPAddress YourAddress,
    IPAddress ServerAddress,
    IPAddress RelayAddress,
    byte[] ClientHardwareAddress,
    string ServerName,
    string BootFile,
    IReadOnlyList<DhcpOption> Options)
{
    /// <summary>Flags bit 15 (RFC 1542): the client cannot receive unicast before it has an address.</summary>
    public const ushort BroadcastFlag = 0x8000;

    /// <summary>htype 1: Ethernet (10 Mb and up), 6-byte addresses.</summary>
    public const byte EthernetHardwareType = 1;

    public bool IsBroadcast => (Flags & BroadcastFlag) != 0;

    public byte[]? Get(DhcpOptionCode code)
    {
        foreach (var o in Options)
        {
            if (o.Code == code)
            {
                return o.Value;
            }
        }
        return null;
    }

    public bool Has(DhcpOptionCode code) => Get(code) is not null;

    public string? GetString(DhcpOptionCode code) => Get(code) is { } v ? DhcpCodec.DecodeString(v) : null;

    public IPAddress? GetAddress(DhcpOptionCode code) => Get(code) is { Length: 4 } v ? new IPAddress(v) : null;

    public DhcpMessageType? MessageType => Get(DhcpOptionCode.MessageType) is { Length: 1 } v ? (DhcpMessageType)v[0] : null;

    public string? VendorClass => GetString(DhcpOptionCode.VendorClassIdentifier);

    public IPAddress? ServerIdentifier => GetAddress(DhcpOptionCode.ServerIdentifier);

    public IPAddress? RequestedAddress => GetAddress(DhcpOptionCode.RequestedIpAddress);

    /// <summary>Option 93 as a list (RFC 4578 allows several; firmware sends one).</summary>
    public IReadOnlyList<ClientArchitecture> Architectures
    {
        get
        {
            if (Get(DhcpOptionCode.ClientArchitecture) is not { } v)
            {
                return [];
            }
            var list = new ClientArchitecture[v.Length / 2];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = (ClientArchitecture)BinaryPrimitives.ReadUInt16BigEndian(v.AsSpan(i * 2));
            }
            return list;
        }
    }

    /// <summary>The GUID of option 97 (type 0 + 16 bytes, SMBIOS/EFI_GUID byte order); null when absent (Intel ROMs omit it).</summary>
    public Guid? ClientUuid => Get(DhcpOptionCode.ClientMachineIdentifier) is { Length: 17 } v ? new Guid(v.AsSpan(1)) : null;

    /// <summary>Option 77 items: RFC 3004 length-prefixed classes, or iPXE's plain string as one item.</summary>
    public IReadOnlyList<string> UserClasses => Get(DhcpOptionCode.UserClass) is { } v ? UserClass.Parse(v) : [];

    /// <summary>Option 94: UNDI version (type 1, major, minor), or null.</summary>
    public (byte Type, byte Major, byte Minor)? NetworkInterface =>
        Get(DhcpOptionCode.ClientNetworkInterface) is { Length: 3 } v ? (v[0], v[1], v[2]) : null;

    /// <summary>The first <c>hlen</c> bytes of <c>chaddr</c>: the MAC for Ethernet.</summary>
    public ReadOnlySpan<byte> HardwareAddress => ClientHardwareAddress.AsSpan(0, Math.Min((int)HardwareAddressLength, ClientHardwareAddress.Length));

    /// <summary>The hardware address as lower-case colon-separated hex ("52:54:00:12:34:56").</summary>
    public string Mac => FormatMac(HardwareAddress);

    public static string FormatMac(ReadOnlySpan<byte> mac)
    {
        var parts = new string[mac.Length];
        for (var i = 0; i < mac.Length; i++)
        {
            parts[i] = mac[i].ToString("x2", CultureInfo.InvariantCulture);
        }
        return string.Join(':', parts);
    }
}
