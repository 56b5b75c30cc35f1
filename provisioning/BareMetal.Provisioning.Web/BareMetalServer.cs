using System.Security.Cryptography;
using System.Threading.RateLimiting;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Iscsi.Server;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Nbd.Http;
using BareMetal.ImageStore.Nbd.Server;
using BareMetal.Provisioning.Core;
using BareMetal.Provisioning.Core.Accounts;
using BareMetal.Provisioning.Core.Audit;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Core.Security;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Provisioning.Web.Api;
using BareMetal.Provisioning.Web.Auth;
using BareMetal.Provisioning.Web.Hosting;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Extensions.Logging;
using ILogger = Microsoft.Extensions.Logging.ILogger;
using SerilogLoggingBuilderExtensions = Serilog.SerilogLoggingBuilderExtensions;

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
    private CatalogExportProvider? _exports;
    private NodeSecurity? _security;
    private AuditTrail? _audit;
    private DhcpServer? _dhcp;
    private string? _dhcpInterface;
    private ProvisioningDatabase? _db;
    private ProgressPump? _pump;
    private ITftpFileProvider? _bootFiles;
    private ILogger? _log;
    private System.Net.IPEndPoint? _iscsiEndPoint;
    private Serilog.Core.Logger? _serilog;
    private SerilogLoggerFactory? _loggers;

    public BareMetalServer(ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Lines describing what listens where, for the console.</summary>
    public IReadOnlyList<string> Endpoints { get; private set; } = [];

    /// <summary>The server's stores, for tests that change what the console would (settings, nodes) while it runs.</summary>
    internal ProvisioningDatabase Database => _db ?? throw new InvalidOperationException("the server has not started");

    /// <summary>The audit trail, for tests that wait for what was recorded (<see cref="AuditTrail.FlushAsync"/>).</summary>
    internal AuditTrail Audit => _audit ?? throw new InvalidOperationException("the server has not started");

    /// <summary>
    /// The admin password generated at this first run (no password was stored or given), for the caller
    /// to print ONCE on the console; null otherwise. It never goes to a logger.
    /// </summary>
    public string? GeneratedAdminPassword { get; private set; }

    /// <summary>http://address:port the web server really listens on (port 0 resolved).</summary>
    public Uri? HttpAddress { get; private set; }

    /// <summary>The running web app (tests reach its services and, with a TestServer, its client).</summary>
    internal WebApplication Web => _web ?? throw new InvalidOperationException("the server is not started");

    /// <summary>Where the NBD block service really listens (port 0 resolved); null when it is off.</summary>
    internal System.Net.IPEndPoint? NbdEndPoint { get; private set; }

    /// <summary>The URL nodes use to reach us.</summary>
    public string BaseUrl => (_options.PublicBaseUrl ?? HttpAddress?.ToString() ?? _options.BaseUrl).TrimEnd('/');

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // First: a certificate that cannot be used stops the start before anything listens or is opened.
        _certificate = LoadCertificate();
        Directory.CreateDirectory(_options.DataDirectory);
        Directory.CreateDirectory(_options.ImagesDirectory);
        Directory.CreateDirectory(_options.OverlaysDirectory);
        Directory.CreateDirectory(_options.TftpDirectory);
        Directory.CreateDirectory(_options.ImportDirectory);
        // Boot files, the same over TFTP and HTTP: data/tftp first, then Debian's iPXE binaries
        // (undionly.kpxe, ipxe.efi, snponly.efi).
        _bootFiles = new CompositeFileProvider(new RootDirectoryProvider(_options.TftpDirectory), new IpxeBinaryProvider());
        _serilog = Logging.Create(_options.LogDirectory, _options.LogToConsole);
        _loggers = new SerilogLoggerFactory(_serilog);
        _log = _loggers.CreateLogger("BareMetal.Server");
        _metrics = new PrometheusExporter();
        _db = await ProvisioningDatabase.OpenAsync(_options.DataDirectory, _options.Catalog, new ProvisioningOptions
        {
            Time = _options.Time,
            PasswordIterations = _options.PasswordIterations ?? PasswordHasher.DefaultIterations,
        }, cancellationToken);
        if (!_db.Catalog.LastRecovery.IsClean)
        {
            LogRecovery(_log, _db.Catalog.LastRecovery.PartialUploadsRemoved.Count, _db.Catalog.LastRecovery.OrphanFilesMoved.Count, _db.Catalog.LastRecovery.MissingImages.Count);
        }
        await EnsureAdminPasswordAsync(_db.Accounts, cancellationToken);
        _exports = new CatalogExportProvider(_options.OverlaysDirectory, _options.ImagesDirectory);
        await RefreshExportsAsync(cancellationToken);
        // Node isolation: every front-end opens exports through _security, which knows who each node is.
        _audit = new AuditTrail(_db.Audit, _options.Time, _loggers.CreateLogger("BareMetal.Audit"));
        var nodeAddresses = _options.NodeAddresses ?? new HostAddressVerifier(LeaseHolder, () => NeighbourTable.ReadLive(), () => _dhcpInterface, _options.Time);
        _security = await NodeSecurity.StartAsync(_db, _exports, _db.Keys, nodeAddresses, _options.RequireVerifiedNodeAddress, _audit, _options.Time, cancellationToken);
        _db.Catalog.Changed += OnCatalogChanged;
        _pump = new ProgressPump(_exports, _db.Deployments, _loggers.CreateLogger("BareMetal.Progress"));
        // Deploy mode reads the image's shared read-only export: the node's address tells its reads apart.
        _db.BootScripts.DeployScriptRendered += d => _exports.WatchDeploy(d.Mac, d.Image.ExportName, d.RemoteAddress);
        _db.BootScripts.DeployFinished += mac => _exports.StopWatching(mac);
        // Deploys under way when the last process ended (even by kill -9): their copiers read on, and the
        // watches it held in memory come back from the database, before the first read can arrive.
        foreach (var d in await _db.BootScripts.DeploysUnderWayAsync(cancellationToken))
        {
            _exports.WatchDeploy(d.Mac, d.Image.ExportName, d.RemoteAddress);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        SerilogLoggingBuilderExtensions.AddSerilog(builder.Logging, _serilog);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(_options.Http);
            ListenHttps(k);
            k.Limits.MaxRequestBodySize = MaxJsonBodyBytes;
            k.AddServerHeader = false;
        });
        ConfigureServices(builder.Services, _db);
        AddConsole(builder);
        ConfigureTls(builder.Services);
        _options.ConfigureWeb?.Invoke(builder);
        var web = builder.Build();
        UseTransportSecurity(web);
        ConfigurePipeline(web);
        MapRoutes(web);
        MapConsole(web);
        await web.StartAsync(cancellationToken);
        _web = web;
        var addresses = web.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        HttpAddress = new Uri(address ?? $"http://{ServeOptions.FormatEndPoint(_options.Http)}");
        var endpoints = WebEndpointLines(addresses);
        endpoints.AddRange(await StartProtocolServersAsync(_loggers, cancellationToken));
        Endpoints = endpoints;
        _pump.Start(_options.Time, _options.ProgressInterval);
    }

    /// <summary>Samples the block service's counters into deployment progress now (the timer does it every second).</summary>
    internal Task<int> PumpProgressAsync() => _pump!.PumpAsync(CancellationToken.None);

    private async Task RefreshExportsAsync(CancellationToken cancellationToken)
    {
        var catalog = _db!.Catalog;
        _exports!.Refresh(await catalog.ListAsync(null, cancellationToken), catalog.GetFullPath);
    }

    /// <summary>Keeps the block service in step with the catalog: new versions at once, deletions at once.</summary>
    private void OnCatalogChanged(object? sender, ImageChange change)
    {
        if (change.Image is not { } image)
        {
            return;
        }
        if (change.Kind == ImageChangeKind.Imported)
        {
            _exports!.Add(image, _db!.Catalog.GetFullPath(image));
        }
        else if (change.Kind == ImageChangeKind.Deleted)
        {
            _exports!.Remove(image);
            _ = RefreshAfterDeleteAsync();
        }
    }

    private async Task RefreshAfterDeleteAsync()
    {
        try
        {
            await RefreshExportsAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is CatalogException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            LogRefreshFailed(_log!, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog repaired at start: {Partials} partial upload(s) removed, {Orphans} orphan file(s) moved, {Missing} image(s) missing")]
    private static partial void LogRecovery(ILogger logger, int partials, int orphans, int missing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the block service's exports: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "PXE contact from {Mac} ({Firmware}, {Address})")]
    private static partial void LogContact(ILogger logger, string mac, string firmware, string? address);

    [LoggerMessage(Level = LogLevel.Debug, Message = "OS DHCP {MessageType} from {Mac} (vendor class '{VendorClass}')")]
    private static partial void LogOsDhcpContact(ILogger logger, string mac, string? vendorClass, string messageType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DHCP stays off: the settings ask for it, but {Reason}")]
    private static partial void LogDhcpSettingsUnusable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record {What} for {Mac}: {Reason}")]
    private static partial void LogRecordFailed(ILogger logger, string what, string mac, string reason);

    /// <summary>Web console seam: the console's partial class part adds its services here.</summary>
    static partial void AddConsole(WebApplicationBuilder builder);

    /// <summary>Web console seam: the console's partial class part maps its pages here.</summary>
    static partial void MapConsole(WebApplication app);

    private void ConfigureServices(IServiceCollection services, ProvisioningDatabase db)
    {
        services.AddSingleton(_options);
        services.AddSingleton(_options.Time);
        services.AddSingleton(db);
        services.AddSingleton<IImageCatalog>(db.Catalog);
        services.AddSingleton<INodeRegistry>(db.Nodes);
        services.AddSingleton<IDeploymentTracker>(db.Deployments);
        services.AddSingleton<IAccountStore>(db.Accounts);
        services.AddSingleton<ISettingsStore>(db.Settings);
        services.AddSingleton<IProvisioningEvents>(db.Events);
        services.AddSingleton(db.BootScripts);
        services.AddSingleton(_exports!);
        services.AddSingleton(_security!);
        services.AddSingleton(_audit!);
        services.AddSingleton(db.Audit);
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
            // Password guessing: a few attempts per minute per client address. Only attempts count: showing
            // the login page (GET) must not lock out someone who reloads it.
            o.AddPolicy(SessionRoutes.LoginRateLimit, ctx => HttpMethods.IsPost(ctx.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter(
                    ctx.Connection.RemoteIpAddress?.ToString() ?? "?",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = _options.LoginAttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter("page"));
            // Node reports are open (nodes cannot log in): a looping init or a stranger costs a few writes a minute at most.
            o.AddPolicy(OsUpRoutes.RateLimitPolicy, ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress?.ToString() ?? "?",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = _options.NodeReportsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
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
        web.UseMiddleware<AuditMiddleware>();
        web.UseAuthorization();
        web.UseMiddleware<CsrfMiddleware>();
    }

    private void MapRoutes(WebApplication web)
    {
        web.MapGet("/healthz", () => Results.Text("ok\n"));
        web.MapGet("/metrics", () => Results.Text(_metrics!.Render() + ExportMetrics.Render(ExportReports.All(_exports!)), "text/plain; version=0.0.4"));
        BootFileRoutes.Map(web, _bootFiles!, RenderBootScriptAsync, RecordBootFileAsync);
        DeployRoutes.Map(web, NodeBaseUrl, PumpProgressAsync);
        OsUpRoutes.Map(web, NodeBaseUrl);
        BlockHttpExport.Map(web, _security!);
        var api = web.MapGroup("/api/v1");
        SessionRoutes.Map(api);
        ImageRoutes.Map(api);
        NodeRoutes.Map(api);
        SettingsRoutes.Map(api);
        EventRoutes.Map(api);
        ExportRoutes.Map(api);
        AuditRoutes.Map(api);
    }

    /// <summary>The node's iPXE script, for <c>/boot/{mac}.ipxe</c>: only to the node's own address (it holds the deployment's secrets).</summary>
    private Task<string> RenderBootScriptAsync(HttpContext ctx, string mac)
    {
        NodeRequests.RequireNodeAddress(ctx, mac);
        var baseUrl = NodeBaseUrl(ctx);
        return ctx.RequestServices.GetRequiredService<BootScriptService>()
            .RenderAsync(mac, baseUrl, NodeRequests.ClientAddress(ctx).ToString(), IscsiPortalFor(baseUrl), ctx.RequestAborted);
    }

    /// <summary>
    /// The base URL boot scripts embed: --public-url when given, else the scheme and Host the node itself
    /// used to reach us (so a node on 10.0.0.0/24 is sent to 10.0.0.1, not to 127.0.0.1).
    /// </summary>
    private string NodeBaseUrl(HttpContext ctx) =>
        _options.PublicBaseUrl?.TrimEnd('/') ?? (ctx.Request.Host.HasValue ? $"{ctx.Request.Scheme}://{ctx.Request.Host}" : BaseUrl);

    /// <summary>
    /// Our iSCSI portal as a node that reached HTTP at <paramref name="nodeBaseUrl"/> dials it: the
    /// target's own address, or that same host when the target listens on every address; null when off.
    /// </summary>
    private IscsiPortal? IscsiPortalFor(string nodeBaseUrl)
    {
        if (_iscsiEndPoint is not { } ep)
        {
            return null;
        }
        var host = ep.Address.Equals(System.Net.IPAddress.Any) || ep.Address.Equals(System.Net.IPAddress.IPv6Any)
            ? new Uri(nodeBaseUrl).Host
            : ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]" : ep.Address.ToString();
        return new IscsiPortal(host, ep.Port, IscsiTargetNames.Prefix);
    }

    /// <summary>
    /// Sets the admin password from the flag or environment (replacing a stored one), or generates one
    /// when none is stored yet; the generated one is handed to the caller to print once.
    /// </summary>
    private async Task EnsureAdminPasswordAsync(IAccountStore accounts, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_options.AdminPassword))
        {
            await accounts.SetAdminPasswordAsync(_options.AdminPassword, replace: true, cancellationToken);
        }
        else if (!await accounts.HasAdminPasswordAsync(cancellationToken))
        {
            var generated = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
            if (await accounts.SetAdminPasswordAsync(generated, replace: false, cancellationToken))
            {
                GeneratedAdminPassword = generated;
            }
        }
    }

    /// <summary>Starts TFTP and the block service; returns their endpoint descriptions.</summary>
    private async Task<IEnumerable<string>> StartProtocolServersAsync(ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        if (_options.Nbd is { } nbdEndPoint)
        {
            var nbd = new NbdServer(_security!, logger: loggers.CreateLogger("nbd"));
            _services.Add(nbd);
            nbd.Start(nbdEndPoint);
            NbdEndPoint = nbd.LocalEndPoint;
            var names = _exports!.List();
            lines.Add($"nbd   nbd://{ServeOptions.FormatEndPoint(nbd.LocalEndPoint)}/{{name}}[@node]  ({names.Count} export(s) from the catalog and {_options.ImagesDirectory})");
        }
        if (_options.Iscsi is { } iscsiEndPoint)
        {
            // The same exports as NBD and HTTP, one target per export (and per node overlay).
            // A node's own target needs its deployment's CHAP secrets (base images and discovery need none).
            var iscsi = new IscsiServer(_security!, logger: loggers.CreateLogger("iscsi"), auth: new IscsiChapPolicy(_security!));
            _security!.IscsiChapEnforced = true;
            _services.Add(iscsi);
            iscsi.Start(iscsiEndPoint);
            _iscsiEndPoint = iscsi.LocalEndPoint;
            lines.Add($"iscsi iscsi://{ServeOptions.FormatEndPoint(iscsi.LocalEndPoint)}/{IscsiTargetNames.Prefix}{{name}}[@node]/0");
        }
        if (_options.Tftp is { } tftpEndPoint)
        {
            var tftp = new TftpServer(new TftpServerOptions(), _bootFiles!, loggers.CreateLogger("tftp"));
            tftp.TransferEnded += (_, e) => _ = OnTftpTransferEndedAsync(e);
            _services.Add(tftp);
            await tftp.StartAsync(tftpEndPoint, cancellationToken);
            lines.Add($"tftp  {ServeOptions.FormatEndPoint(tftp.LocalEndPoint!)}/udp  (root {_options.TftpDirectory}, plus /usr/lib/ipxe binaries)");
        }
        if (_options.Dhcp is { } mode)
        {
            lines.Add(await StartDhcpAsync(mode, _options.DhcpInterface, _options.DhcpRange, loggers, cancellationToken));
        }
        else if (_options.DhcpFromSettings && await DhcpFromSettingsAsync(cancellationToken) is { } fromSettings)
        {
            // The console's settings page chose the mode: a setting that cannot work is said in the log,
            // and the rest of the server still starts.
            try
            {
                lines.Add(await StartDhcpAsync(fromSettings.Mode, fromSettings.Interface, fromSettings.Range, loggers, cancellationToken) + " (from settings)");
            }
            catch (Exception e) when (e is ArgumentException or System.Net.Sockets.SocketException or UnauthorizedAccessException or IOException)
            {
                LogDhcpSettingsUnusable(_log!, e.Message);
                lines.Add($"dhcp  off: the settings ask for {fromSettings.Mode.ToString().ToLowerInvariant()} mode, but {e.Message}");
            }
        }
        return lines;
    }

    /// <summary>dhcp.mode / dhcp.interface / dhcp.range as the console saved them; null when the mode is off or unset.</summary>
    private async Task<(DhcpMode Mode, string? Interface, (System.Net.IPAddress First, System.Net.IPAddress Last)? Range)?> DhcpFromSettingsAsync(CancellationToken cancellationToken)
    {
        var all = await _db!.Settings.ListAsync(cancellationToken);
        DhcpMode? mode = all.GetValueOrDefault(SettingKeys.DhcpMode) switch
        {
            "proxy" => DhcpMode.Proxy,
            "full" => DhcpMode.Full,
            _ => null,
        };
        if (mode is null)
        {
            return null;
        }
        var iface = all.GetValueOrDefault(SettingKeys.DhcpInterface) is { Length: > 0 } i ? i.Trim() : null;
        var range = all.GetValueOrDefault(SettingKeys.DhcpRange) is { Length: > 0 } r ? SettingKeys.ParseRange(r) : null;
        return (mode.Value, iface, range);
    }

    private async Task<string> StartDhcpAsync(DhcpMode mode, string? iface, (System.Net.IPAddress First, System.Net.IPAddress Last)? range, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var log = loggers.CreateLogger("dhcp");
        if (iface is null)
        {
            throw new ArgumentException("DHCP needs a network interface (--interface IF, or the interface setting)");
        }
        var address = InterfaceAddress(iface) ?? throw new ArgumentException($"interface '{iface}' has no IPv4 address");
        FullDhcpOptions? full = null;
        if (mode == DhcpMode.Full)
        {
            var pool = range ?? throw new ArgumentException("full DHCP needs an address range (--dhcp-range FIRST-LAST, or the range setting)");
            full = new FullDhcpOptions { ServerAddress = address, RangeStart = pool.First, RangeEnd = pool.Last };
            full = DhcpNetworkSettings.Apply(full, _options, await _db!.Settings.ListAsync(cancellationToken), InterfaceNetwork.Read(iface));
        }
        var baseUrl = new Uri(_options.PublicBaseUrl ?? $"http://{address}:{HttpAddress?.Port ?? _options.Http.Port}");
        // Boot files follow the console's settings, re-read whenever one changes.
        var policy = new SettingsBootPolicy(_db!.Settings, new DefaultBootPolicyOptions { HttpBaseUrl = baseUrl });
        await policy.StartAsync(_db.Events, cancellationToken);
        _services.Add(policy);
        var dhcp = new DhcpServer(new DhcpServerOptions
        {
            Mode = mode,
            InterfaceName = iface,
            ServerAddress = address,
            TftpServer = address,
            HttpBaseUrl = baseUrl,
            DataDirectory = _options.DataDirectory,
            Full = full,
        }, policy, logger: log);
        dhcp.ClientContact += (_, c) => _ = OnDhcpContactAsync(c);
        _services.Add(dhcp);
        _dhcp = dhcp;
        _dhcpInterface = iface;
        await dhcp.StartAsync(cancellationToken);
        return $"dhcp  {mode.ToString().ToLowerInvariant()} on {iface} ({address}), boot scripts from {baseUrl}{(full is null ? "" : "; " + DhcpNetworkSettings.Describe(full))}";
    }

    /// <summary>
    /// DHCP contact: boot firmware registers the node (new ones appear at once) and starts or advances its
    /// deployment; an OS's DHCP client of a known node says its streamed OS came up (Streaming -> OsUp).
    /// </summary>
    internal async Task OnDhcpContactAsync(DhcpClientContact contact)
    {
        try
        {
            if (DeploymentEvent.IsFromBootFirmware(contact))
            {
                LogContact(_log!, contact.Mac, contact.Firmware.ToString(), contact.Address?.ToString());
            }
            else
            {
                // ProxyDHCP hears every DHCP client on the segment: not worth an information line each.
                LogOsDhcpContact(_log!, contact.Mac, contact.VendorClass, contact.MessageType.ToString());
            }
            await _db!.RecordDhcpContactAsync(contact);
        }
        catch (Exception e) when (e is CatalogException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            LogRecordFailed(_log!, "DHCP contact", contact.Mac, e.Message);
        }
    }

    /// <summary>A boot file went out over TFTP: the node at that address reached its boot loader.</summary>
    internal async Task OnTftpTransferEndedAsync(TftpTransferEventArgs e)
    {
        if (e.Outcome != TftpTransferOutcome.Completed)
        {
            return;
        }
        var address = e.Client.Address.IsIPv4MappedToIPv6 ? e.Client.Address.MapToIPv4().ToString() : e.Client.Address.ToString();
        await RecordBootFileAsync(address, e.Path);
    }

    /// <summary>
    /// A whole boot file went out (TFTP, or HTTP for UEFI HTTP boot): the node at that address reached its
    /// boot loader. The event kind keeps its persisted name <see cref="DeploymentEventKind.TftpTransfer"/>.
    /// </summary>
    private async Task RecordBootFileAsync(string address, string path)
    {
        try
        {
            var node = (await _db!.Nodes.ListAsync()).Where(n => n.IpAddress == address).MaxBy(n => n.LastSeen);
            if (node is null)
            {
                return;
            }
            await _db.Deployments.RecordAsync(node.Mac, new DeploymentEvent(DeploymentEventKind.TftpTransfer, Message: path));
        }
        catch (Exception ex) when (ex is CatalogException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            LogRecordFailed(_log!, "boot file", address, ex.Message);
        }
    }

    /// <summary>The MAC our full-mode DHCP holds a bound, unexpired lease of <paramref name="address"/> for; null otherwise.</summary>
    private string? LeaseHolder(System.Net.IPAddress address)
    {
        if (_dhcp?.FullSession is not { } full)
        {
            return null;
        }
        var now = _options.Time.GetUtcNow();
        var lease = full.Leases.FirstOrDefault(l => l.State == BareMetal.Pxe.Dhcp.Leases.LeaseState.Bound && l.Address.Equals(address) && !l.IsExpired(now));
        return lease is null ? null : Macs.Normalise(lease.Mac);
    }

    private static System.Net.IPAddress? InterfaceAddress(string name) =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .FirstOrDefault(n => n.Name == name)?.GetIPProperties().UnicastAddresses
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);

    /// <summary>Stops everything; safe to call more than once.</summary>
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
        if (_pump is not null)
        {
            await _pump.DisposeAsync();
            _pump = null;
        }
        _metrics?.Dispose();
        _metrics = null;
        _certificate?.Dispose();
        _certificate = null;
        _exports?.Dispose();
        _exports = null;
        if (_audit is not null)
        {
            await _audit.DisposeAsync();
            _audit = null;
        }
        if (_db is not null)
        {
            if (_security is not null)
            {
                _db.Events.Committed -= _security.Table.Apply;
            }
            _db.Catalog.Changed -= OnCatalogChanged;
            await _db.DisposeAsync();
            _db = null;
        }
        _loggers?.Dispose();
        _loggers = null;
        if (_serilog is not null)
        {
            await _serilog.DisposeAsync();
            _serilog = null;
        }
    }
}
