using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Http;
using BareMetal.ImageStore.Nbd.Server;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.Pxe.Dhcp.Sessions;
using BareMetal.Pxe.Tftp;
using BareMetal.Pxe.Tftp.Files;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// The whole server: HTTP (boot scripts, health, metrics) plus the protocol servers beside it.
/// Start with <see cref="StartAsync"/>, stop by disposing.
/// </summary>
public sealed class BareMetalServer : IAsyncDisposable
{
    private readonly ServeOptions _options;
    private readonly List<IAsyncDisposable> _services = [];
    private WebApplication? _web;
    private PrometheusExporter? _metrics;
    private OverlayExportProvider? _exports;

    public BareMetalServer(ServeOptions options)
    {
        _options = options;
    }

    /// <summary>Lines describing what listens where, for the console.</summary>
    public IReadOnlyList<string> Endpoints { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.DataDirectory);
        Directory.CreateDirectory(_options.ImagesDirectory);
        Directory.CreateDirectory(_options.OverlaysDirectory);
        Directory.CreateDirectory(_options.TftpDirectory);
        _metrics = new PrometheusExporter();
        _exports = LoadExports();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.UseKestrel(k => k.Listen(_options.Http));
        builder.Services.AddProblemDetails();
        var web = builder.Build();
        MapRoutes(web);
        await web.StartAsync(cancellationToken);
        _web = web;
        var endpoints = new List<string>
        {
            $"http  {_options.BaseUrl}/  (boot scripts /boot/{{mac}}.ipxe, disks /disk/{{name}}[@node], /healthz, /metrics)",
        };
        endpoints.AddRange(await StartProtocolServersAsync(web.Services.GetRequiredService<ILoggerFactory>(), cancellationToken));
        Endpoints = endpoints;
    }

    private void MapRoutes(WebApplication web)
    {
        web.MapGet("/healthz", () => Results.Text("ok\n"));
        web.MapGet("/metrics", () => Results.Text(_metrics!.Render(), "text/plain; version=0.0.4"));
        web.MapGet("/boot/{file}", (string file) =>
        {
            if (!file.EndsWith(".ipxe", StringComparison.Ordinal) || BootScripts.NormaliseMac(file[..^5]) is not { } mac)
            {
                return Results.Problem(statusCode: 404, title: "Not a boot script", detail: "boot scripts are named /boot/{mac}.ipxe, e.g. /boot/52:54:00:12:34:56.ipxe");
            }
            return Results.Text(BootScripts.UnknownNode(mac, _options.BaseUrl), "text/plain");
        });
        BlockHttpExport.Map(web, _exports!);
    }

    /// <summary>
    /// Every image file in data/images is exported under its file name (without extension); a
    /// per-node name `image@node` gets that node's copy-on-write overlay in data/overlays.
    /// (The catalog replaces this directory scan when it lands.)
    /// </summary>
    private OverlayExportProvider LoadExports()
    {
        var exports = new OverlayExportProvider(_options.OverlaysDirectory);
        foreach (var file in Directory.EnumerateFiles(_options.ImagesDirectory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            try
            {
                exports.AddBase(name, file, Path.GetFileName(file));
            }
            catch (ArgumentException)
            {
                // A name we cannot export safely (spaces, '@' ...): skipped, and said so at start-up.
                Console.Error.WriteLine($"baremetal: not exporting {file}: names must be letters, digits, '.', '_' or '-'");
            }
        }
        return exports;
    }

    /// <summary>Starts TFTP and the block service; returns their endpoint descriptions.</summary>
    private async Task<IEnumerable<string>> StartProtocolServersAsync(ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        if (_options.Nbd is { } nbdEndPoint)
        {
            var nbd = new NbdServer(_exports!, logger: loggers.CreateLogger("nbd"));
            _services.Add(nbd);
            nbd.Start(nbdEndPoint);
            var names = _exports!.List();
            lines.Add($"nbd   nbd://{ServeOptions.FormatEndPoint(nbd.LocalEndPoint)}/{{name}}[@node]  ({names.Count} image(s) from {_options.ImagesDirectory})");
        }
        if (_options.Tftp is { } tftpEndPoint)
        {
            var log = loggers.CreateLogger("tftp");
            // Files in data/tftp first, then Debian's iPXE binaries (undionly.kpxe, ipxe.efi, snponly.efi).
            var files = new CompositeFileProvider(new RootDirectoryProvider(_options.TftpDirectory), new IpxeBinaryProvider());
            var tftp = new TftpServer(new TftpServerOptions { Log = m => log.LogInformation("{Message}", m) }, files);
            _services.Add(tftp);
            await tftp.StartAsync(tftpEndPoint, cancellationToken);
            lines.Add($"tftp  {ServeOptions.FormatEndPoint(tftp.LocalEndPoint!)}/udp  (root {_options.TftpDirectory}, plus /usr/lib/ipxe binaries)");
        }
        if (_options.Dhcp is { } mode)
        {
            lines.Add(await StartDhcpAsync(mode, loggers, cancellationToken));
        }
        return lines;
    }

    private async Task<string> StartDhcpAsync(DhcpMode mode, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var log = loggers.CreateLogger("dhcp");
        var iface = _options.DhcpInterface ?? throw new ArgumentException("--dhcp needs --interface IF");
        var address = InterfaceAddress(iface) ?? throw new ArgumentException($"interface '{iface}' has no IPv4 address");
        FullDhcpOptions? full = null;
        if (mode == DhcpMode.Full)
        {
            var range = _options.DhcpRange ?? throw new ArgumentException("--dhcp full needs --dhcp-range FIRST-LAST");
            full = new FullDhcpOptions { ServerAddress = address, RangeStart = range.First, RangeEnd = range.Last };
        }
        var baseUrl = new Uri(_options.PublicBaseUrl ?? $"http://{address}:{_options.Http.Port}");
        var policy = new DefaultBootPolicy(new DefaultBootPolicyOptions { HttpBaseUrl = baseUrl });
        var dhcp = new DhcpServer(new DhcpServerOptions
        {
            Mode = mode,
            InterfaceName = iface,
            ServerAddress = address,
            TftpServer = address,
            HttpBaseUrl = baseUrl,
            DataDirectory = _options.DataDirectory,
            Full = full,
        }, policy);
        dhcp.ClientContact += (_, c) => log.LogInformation("PXE contact {Contact}", c);
        _services.Add(dhcp);
        await dhcp.StartAsync(cancellationToken);
        return $"dhcp  {mode.ToString().ToLowerInvariant()} on {iface} ({address}), boot scripts from {baseUrl}";
    }

    private static System.Net.IPAddress? InterfaceAddress(string name) =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .FirstOrDefault(n => n.Name == name)?.GetIPProperties().UnicastAddresses
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Enumerable.Reverse(_services))
        {
            await s.DisposeAsync();
        }
        _services.Clear();
        if (_web is not null)
        {
            await _web.StopAsync();
            await _web.DisposeAsync();
            _web = null;
        }
        _metrics?.Dispose();
        _exports?.Dispose();
    }
}
