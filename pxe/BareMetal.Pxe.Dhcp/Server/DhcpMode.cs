namespace BareMetal.Pxe.Dhcp.Server;

/// <summary><c>--dhcp proxy|full</c>.</summary>
public enum DhcpMode
{
    /// <summary>ProxyDHCP beside the site's DHCP server: boot information only, ports 67 and 4011.</summary>
    Proxy = 1,

    /// <summary>Our own DHCP server for a lab network: addresses and boot information.</summary>
    Full = 2,
}
