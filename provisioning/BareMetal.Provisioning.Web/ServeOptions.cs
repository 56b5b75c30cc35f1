using System.Net;

namespace BareMetal.Provisioning.Web;

/// <summary>Where `baremetal serve` keeps data and listens. Defaults are the DESIGN.md contract.</summary>
public sealed record ServeOptions
{
    public string DataDirectory { get; init; } = "data";
    public IPEndPoint Http { get; init; } = new(IPAddress.Loopback, 8080);
    public IPEndPoint? Tftp { get; init; } = new(IPAddress.Loopback, 6969);
    public IPEndPoint? Nbd { get; init; } = new(IPAddress.Loopback, 10809);

    /// <summary>DHCP mode: null = off (the default), or Proxy / Full on <see cref="DhcpInterface"/>.</summary>
    public BareMetal.Pxe.Dhcp.Server.DhcpMode? Dhcp { get; init; }

    /// <summary>The network interface DHCP binds to (SO_BINDTODEVICE; root needed).</summary>
    public string? DhcpInterface { get; init; }

    /// <summary>Full mode's address pool (first, last).</summary>
    public (IPAddress First, IPAddress Last)? DhcpRange { get; init; }

    /// <summary>The URL nodes use to reach us (boot scripts embed it); defaults to http://{Http}.</summary>
    public string? PublicBaseUrl { get; init; }

    public string BaseUrl => (PublicBaseUrl ?? $"http://{FormatEndPoint(Http)}").TrimEnd('/');

    public string ImagesDirectory => Path.Combine(DataDirectory, "images");
    public string OverlaysDirectory => Path.Combine(DataDirectory, "overlays");
    public string TftpDirectory => Path.Combine(DataDirectory, "tftp");

    public static string FormatEndPoint(IPEndPoint ep)
    {
        ArgumentNullException.ThrowIfNull(ep);
        return ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";
    }
}
