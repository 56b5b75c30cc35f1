using System.Net;

namespace BareMetal.Provisioning.Web;

/// <summary>Where `baremetal serve` keeps data and listens. Defaults are the DESIGN.md contract.</summary>
public sealed record ServeOptions
{
    public string DataDirectory { get; init; } = "data";
    public IPEndPoint Http { get; init; } = new(IPAddress.Loopback, 8080);
    public IPEndPoint? Tftp { get; init; } = new(IPAddress.Loopback, 6969);
    public IPEndPoint? Nbd { get; init; } = new(IPAddress.Loopback, 10809);
    public IPEndPoint? Iscsi { get; init; } = new(IPAddress.Loopback, 3260);

    /// <summary>
    /// `--tls`: the console, API, SSE and login pages on HTTPS at <see cref="Https"/>; <see cref="Http"/>
    /// then serves only what nodes fetch (/boot/, /disk/, /healthz), since Debian's iPXE speaks plain http
    /// only, and answers every other path with a redirect to HTTPS (GET, HEAD) or 403.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Where HTTPS listens when <see cref="Tls"/> is on.</summary>
    public IPEndPoint Https { get; init; } = new(IPAddress.Loopback, 8443);

    /// <summary>`--tls-cert`: PEM certificate (chain after it allowed); null = a self-signed one kept in data/tls.</summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>`--tls-key`: the PEM private key of <see cref="TlsCertificatePath"/>.</summary>
    public string? TlsKeyPath { get; init; }

    /// <summary>DHCP mode: null = off (the default), or Proxy / Full on <see cref="DhcpInterface"/>.</summary>
    public BareMetal.Pxe.Dhcp.Server.DhcpMode? Dhcp { get; init; }

    /// <summary>
    /// With <see cref="Dhcp"/> null: start DHCP as the console's settings say (dhcp.mode, dhcp.interface,
    /// dhcp.range). `serve` sets it when no --dhcp flag was given; a flag (even --dhcp off) wins.
    /// </summary>
    public bool DhcpFromSettings { get; init; }

    /// <summary>The network interface DHCP binds to (SO_BINDTODEVICE; root needed).</summary>
    public string? DhcpInterface { get; init; }

    /// <summary>Full mode's address pool (first, last).</summary>
    public (IPAddress First, IPAddress Last)? DhcpRange { get; init; }

    /// <summary>
    /// Full mode's router, name servers, domain and NTP servers as the --dhcp-router/-dns/-domain/-ntp flags
    /// gave them (checked by <c>SettingKeys.ValueProblem</c>; "none" sends nothing); null = the dhcp.* setting,
    /// else the interface's own configuration (see <c>Hosting/DhcpNetworkSettings</c>).
    /// </summary>
    public string? DhcpRouter { get; init; }

    public string? DhcpDns { get; init; }

    public string? DhcpDomain { get; init; }

    public string? DhcpNtp { get; init; }

    /// <summary>The URL nodes use to reach us (boot scripts embed it); defaults to http://{Http}.</summary>
    public string? PublicBaseUrl { get; init; }

    /// <summary>`--catalog`: a PostgreSQL URL or connection string; null = SQLite in the data directory.</summary>
    public string? Catalog { get; init; }

    /// <summary>`--admin-password` or BAREMETAL_ADMIN_PASSWORD: sets (replaces) the admin password at start.</summary>
    public string? AdminPassword { get; init; }

    /// <summary>Largest image upload accepted (413 beyond it).</summary>
    public long MaxUploadBytes { get; init; } = 64L << 30;

    /// <summary>Directories `POST /api/v1/images` may import from (besides data/images and data/import).</summary>
    public IReadOnlyList<string> ImportRoots { get; init; } = [];

    /// <summary>Login attempts allowed per client address and minute (429 beyond).</summary>
    public int LoginAttemptsPerMinute { get; init; } = 10;

    /// <summary>Open node reports (<c>/boot/{mac}/os-up</c>) allowed per client address and minute (429 beyond).</summary>
    public int NodeReportsPerMinute { get; init; } = 30;

    /// <summary>
    /// Whether a node's own address must be verified (our DHCP lease, the neighbour table, or an address
    /// pinned by hand) for it to open its exports with its key. Off (`--node-address-check key`) for nodes
    /// the server cannot see at layer 2 (routed segments): the deployment key alone then proves a node,
    /// unless its address is contradicted. Boot scripts always need a verified address.
    /// </summary>
    public bool RequireVerifiedNodeAddress { get; init; } = true;

    /// <summary>Test seam: how node addresses are verified (null = this host's leases and neighbour table).</summary>
    internal BareMetal.Provisioning.Core.Security.INodeAddressVerifier? NodeAddresses { get; init; }

    /// <summary>Log to the console as well as data/logs (tests turn it off).</summary>
    public bool LogToConsole { get; init; } = true;

    /// <summary>Clock for sessions, deployments and progress (tests inject a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How often block-service counters are turned into progress events.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Test seam: PBKDF2 iterations for a new password hash (null = Core's default, 600 000).</summary>
    internal int? PasswordIterations { get; init; }

    /// <summary>Test seam: adjusts the web host before it is built (e.g. an in-memory TestServer).</summary>
    internal Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? ConfigureWeb { get; init; }

    public string BaseUrl => (PublicBaseUrl ?? $"http://{FormatEndPoint(Http)}").TrimEnd('/');

    public string ImagesDirectory => Path.Combine(DataDirectory, "images");
    public string OverlaysDirectory => Path.Combine(DataDirectory, "overlays");
    public string TftpDirectory => Path.Combine(DataDirectory, "tftp");
    public string ImportDirectory => Path.Combine(DataDirectory, "import");
    public string LogDirectory => Path.Combine(DataDirectory, "logs");
    public string TlsDirectory => Path.Combine(DataDirectory, "tls");

    public static string FormatEndPoint(IPEndPoint ep)
    {
        ArgumentNullException.ThrowIfNull(ep);
        return ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";
    }
}
