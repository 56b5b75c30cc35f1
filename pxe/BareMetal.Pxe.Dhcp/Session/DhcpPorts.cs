namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>Well-known UDP ports.</summary>
public static class DhcpPorts
{
    /// <summary>BOOTP/DHCP server (RFC 2131).</summary>
    public const int Server = 67;

    /// <summary>BOOTP/DHCP client (RFC 2131).</summary>
    public const int Client = 68;

    /// <summary>PXE boot server / ProxyDHCP request port (PXE 2.1): clients unicast REQUESTs here once they have an address.</summary>
    public const int PxeBootServer = 4011;
}
