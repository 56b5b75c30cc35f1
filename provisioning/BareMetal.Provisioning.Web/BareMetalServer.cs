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
        var endpoints = new List<string> { $"http  {_options.BaseUrl}/  (boot scripts at /boot/{{mac}}.ipxe, /healthz, /metrics)" };
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
    }

    /// <summary>Starts TFTP and the block service; returns their endpoint descriptions.</summary>
    private Task<IEnumerable<string>> StartProtocolServersAsync(ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        _ = loggers;
        _ = cancellationToken;
        return Task.FromResult<IEnumerable<string>>([]);
    }

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
    }
}
