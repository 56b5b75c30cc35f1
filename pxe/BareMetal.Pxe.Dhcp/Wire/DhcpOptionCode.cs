namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>The DHCP option codes this server reads or writes (RFC 2132 unless noted).</summary>
public enum DhcpOptionCode : byte
{
    /// <summary>Fills space; no length byte.</summary>
    Pad = 0,

    /// <summary>Subnet mask, 4 bytes.</summary>
    SubnetMask = 1,

    /// <summary>Routers, a list of IPv4 addresses.</summary>
    Router = 3,

    /// <summary>DNS servers, a list of IPv4 addresses.</summary>
    DomainNameServer = 6,

    /// <summary>Host name, a string.</summary>
    HostName = 12,

    /// <summary>Domain name, a string.</summary>
    DomainName = 15,

    /// <summary>NTP servers, a list of IPv4 addresses (RFC 2132 8.3).</summary>
    NtpServers = 42,

    /// <summary>Broadcast address, 4 bytes.</summary>
    BroadcastAddress = 28,

    /// <summary>Vendor-specific information; for PXEClient the PXE 2.1 sub-options.</summary>
    VendorSpecific = 43,

    /// <summary>Requested IP address (client to server), 4 bytes.</summary>
    RequestedIpAddress = 50,

    /// <summary>Lease time in seconds, u32.</summary>
    LeaseTime = 51,

    /// <summary>Overload: 1 = <c>file</c> holds options, 2 = <c>sname</c> does, 3 = both.</summary>
    Overload = 52,

    /// <summary>DHCP message type, 1 byte.</summary>
    MessageType = 53,

    /// <summary>Server identifier, 4 bytes. Always sent: clients pick and address servers by it.</summary>
    ServerIdentifier = 54,

    /// <summary>Parameter request list, option codes.</summary>
    ParameterRequestList = 55,

    /// <summary>Maximum DHCP message size the client accepts, u16.</summary>
    MaxMessageSize = 57,

    /// <summary>Renewal (T1) time, u32.</summary>
    RenewalTime = 58,

    /// <summary>Rebinding (T2) time, u32.</summary>
    RebindingTime = 59,

    /// <summary>Vendor class identifier: "PXEClient:Arch:xxxxx:UNDI:yyyzzz", "HTTPClient...", "udhcp 1.35.0".</summary>
    VendorClassIdentifier = 60,

    /// <summary>Client identifier: type byte + data (RFC 2132 9.14).</summary>
    ClientIdentifier = 61,

    /// <summary>TFTP server name (a string).</summary>
    TftpServerName = 66,

    /// <summary>Boot file name (a string).</summary>
    BootFileName = 67,

    /// <summary>User class (RFC 3004: length-prefixed items; iPXE sends the plain string "iPXE").</summary>
    UserClass = 77,

    /// <summary>Client system architecture (RFC 4578): a list of u16.</summary>
    ClientArchitecture = 93,

    /// <summary>Client network interface identifier (RFC 4578): type 1 (UNDI), major, minor.</summary>
    ClientNetworkInterface = 94,

    /// <summary>Client machine identifier (RFC 4578): type 0 + 16-byte GUID.</summary>
    ClientMachineIdentifier = 97,

    /// <summary>iPXE's encapsulated options (its feature flags, bus id ...). Present = the client is iPXE.</summary>
    IpxeEncapsulated = 175,

    /// <summary>Marks the end of the options; no length byte.</summary>
    End = 255,
}
