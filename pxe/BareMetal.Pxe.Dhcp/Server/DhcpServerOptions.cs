using System.Net;
using BareMetal.Pxe.Dhcp.Session;

namespace BareMetal.Pxe.Dhcp.Server;

/// <summary>
/// What <c>./baremetal serve --dhcp proxy|full --interface IF</c> configures. Ports are settable so
/// tests can run without privileges; real clients only use 67/68/4011.
/// </summary>
public sealed record DhcpServerOptions
{
    public DhcpMode Mode { get; init; } = DhcpMode.Proxy;

    /// <summary>Interface to bind to (SO_BINDTODEVICE, root needed); null = all interfaces.</summary>
    public string? InterfaceName { get; init; }

    /// <summary>Our IPv4 address on the boot network (option 54); null = the first IPv4 address of <see cref="InterfaceName"/>.</summary>
    public IPAddress? ServerAddress { get; init; }

    /// <summary>siaddr / option 66; null = <see cref="ServerAddress"/>.</summary>
    public IPAddress? TftpServer { get; init; }

    /// <summary>Where iPXE scripts and HTTP-boot binaries are served; null = http://{server}:8080/.</summary>
    public Uri? HttpBaseUrl { get; init; }

    /// <summary>Lease file directory (full mode); null = in-memory leases.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Address pool and network settings for full mode; required then (ServerAddress inside it wins).</summary>
    public FullDhcpOptions? Full { get; init; }

    /// <summary>Local address to bind; Any in production (broadcast DISCOVERs come from 0.0.0.0 to 255.255.255.255).</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    public int ServerPort { get; init; } = DhcpPorts.Server;

    public int ProxyPort { get; init; } = DhcpPorts.PxeBootServer;

    /// <summary>Where broadcast replies go (68); tests on loopback use another.</summary>
    public int ClientPort { get; init; } = DhcpPorts.Client;

    /// <summary>How often expired leases are swept (full mode).</summary>
    public TimeSpan LeaseSweepInterval { get; init; } = TimeSpan.FromMinutes(1);
}
