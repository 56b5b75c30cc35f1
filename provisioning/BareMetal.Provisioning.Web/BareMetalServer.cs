using System.Security.Cryptography;
using System.Threading.RateLimiting;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Http;
using BareMetal.ImageStore.Nbd.Server;
using BareMetal.Provisioning.Web.Api;
using BareMetal.Provisioning.Web.Auth;
using BareMetal.Provisioning.Web.Hosting;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.Pxe.Dhcp.Sessions;
using BareMetal.Pxe.Tftp;
using BareMetal.Pxe.Tftp.Files;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// The whole server and the one composition root: HTTP (REST API, console, boot scripts, disks,
/// health, metrics) plus TFTP, the NBD block service and DHCP beside it, all fed by one catalog.
/// Start with <see cref="StartAsync"/>, stop by disposing.
/// </summary>
public sealed partial class BareMetalServer : IAsyncDisposable
{
    /// <summary>Largest JSON (or form) body any other route accepts.</summary>
    public const long MaxJsonBodyBytes = 1 << 20;

    private readonly ServeOptions _options;
    private readonly List<IAsyncDisposable> _services = [];
    private WebApplication? _web;
    private PrometheusExporter? _metrics;
    private OverlayExportProvider? _exports;
    private Serilog.Core.Logger? _serilog;
    private SerilogLoggerFactory? _loggers;

    public BareMetalServer(ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Lines describing what listens where, for the console.</summary>
    public IReadOnlyList<string> Endpoints { get; private set; } = [];

    /// <summary>
    /// The admin password generated at this first run (no password was stored or given), for the caller
    /// to print ONCE on the console; null otherwise. It never goes to a logger.
    /// </summary>
    public string? GeneratedAdminPassword { get; private set; }

    /// <summary>http://address:port the web server really listens on (port 0 resolved).</summary>
    public Uri? HttpAddress { get; private set; }

    /// <summary>The running web app (tests reach its services and, with a TestServer, its client).</summary>
    internal WebApplication Web => _web ?? throw new InvalidOperationException("the server is not started");

    /// <summary>The URL nodes use to reach us.</summary>
    public string BaseUrl => (_options.PublicBaseUrl ?? HttpAddress?.ToString() ?? _options.BaseUrl).TrimEnd('/');

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.DataDirectory);
        Directory.CreateDirectory(_options.ImagesDirectory);
        Directory.CreateDirectory(_options.OverlaysDirectory);
        Directory.CreateDirectory(_options.TftpDirectory);
        Directory.CreateDirectory(_options.ImportDirectory);
        _serilog = Logging.Create(_options.LogDirectory, _options.LogToConsole);
        _loggers = new SerilogLoggerFactory(_serilog);
        _metrics = new PrometheusExporter();
        _exports = LoadExports();

        var accounts = new MemoryAdminAccounts(_options.Time);
        EnsureAdminPassword(accounts);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(_serilog);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(_options.Http);
            k.Limits.MaxRequestBodySize = MaxJsonBodyBytes;
            k.AddServerHeader = false;
        });
        ConfigureServices(builder.Services, accounts);
        AddConsole(builder);
        _options.ConfigureWeb?.Invoke(builder);
        var web = builder.Build();
        ConfigurePipeline(web);
        MapRoutes(web);
        MapConsole(web);
        await web.StartAsync(cancellationToken);
        _web = web;
        var address = web.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        HttpAddress = new Uri(address ?? $"http://{ServeOptions.FormatEndPoint(_options.Http)}");
        var endpoints = new List<string>
        {
            $"http  {HttpAddress.ToString().TrimEnd('/')}/  (console, API /api/v1, boot scripts /boot/{{mac}}.ipxe, disks /disk/{{name}}[@node], /healthz, /metrics)",
        };
        endpoints.AddRange(await StartProtocolServersAsync(_loggers, cancellationToken));
        Endpoints = endpoints;
    }

    /// <summary>Web console seam: the console's partial class part adds its services here.</summary>
    static partial void AddConsole(WebApplicationBuilder builder);

    /// <summary>Web console seam: the console's partial class part maps its pages here.</summary>
    static partial void MapConsole(WebApplication app);

    private void ConfigureServices(IServiceCollection services, IAdminAccounts accounts)
    {
        services.AddSingleton(_options);
        services.AddSingleton(_options.Time);
        services.AddSingleton(accounts);
        services.AddSingleton<AdminSessions>();
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        // Binding failures (wrong JSON types, missing body) throw, so the exception handler can say what was wrong.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddAuthentication(BareMetalAuth.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BareMetalAuth>(BareMetalAuth.SchemeName, null);
        services.AddAuthorization();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Password guessing: a few attempts per minute per client address.
            o.AddPolicy(SessionRoutes.LoginRateLimit, ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress?.ToString() ?? "?",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = _options.LoginAttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = (ctx, ct) => new ValueTask(Problems.WriteAsync(ctx.HttpContext, 429, "Too many attempts", "wait a minute before trying again"));
        });
    }

    private static void ConfigurePipeline(WebApplication web)
    {
        web.UseExceptionHandler();
        web.UseStatusCodePages();
        web.UseRouting();
        web.UseRateLimiter();
        web.UseAuthentication();
        web.UseAuthorization();
        web.UseMiddleware<CsrfMiddleware>();
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
            return Results.Text(BootScripts.UnknownNode(mac, BaseUrl), "text/plain");
        });
        BlockHttpExport.Map(web, _exports!);
        var api = web.MapGroup("/api/v1");
        SessionRoutes.Map(api);
    }

    /// <summary>
    /// Sets the admin password from the flag or environment (replacing a stored one), or generates one
    /// when none is stored yet; the generated one is handed to the caller to print once.
    /// </summary>
    private void EnsureAdminPassword(IAdminAccounts accounts)
    {
        if (!string.IsNullOrEmpty(_options.AdminPassword))
        {
            accounts.SetPassword(_options.AdminPassword);
        }
        else if (!accounts.HasPassword)
        {
            var generated = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
            accounts.SetPassword(generated);
            GeneratedAdminPassword = generated;
        }
    }

    /// <summary>
    /// Every image file in data/images is exported under its file name (without extension); a
    /// per-node name `image@node` gets that node's copy-on-write overlay in data/overlays.
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
        var baseUrl = new Uri(_options.PublicBaseUrl ?? $"http://{address}:{HttpAddress?.Port ?? _options.Http.Port}");
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
        _loggers?.Dispose();
        if (_serilog is not null)
        {
            await _serilog.DisposeAsync();
        }
    }
}
