using System.Buffers;
using System.Globalization;
using System.Net;
using BareMetal.ImageStore.Nbd.Exports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.ImageStore.Nbd.Http;

/// <summary>
/// The same exports over HTTP, for firmware that has no NBD: iPXE's `sanboot http://host/disk/NAME`
/// sends HEAD (size from Content-Length, needs Accept-Ranges: bytes) and then GET with single
/// 512-byte-multiple Range requests. GET without Range streams the whole virtual disk.
/// Read-only: writes never go over HTTP.
/// </summary>
public sealed class BlockHttpExport : IAsyncDisposable
{
    /// <summary>URL prefix of every disk.</summary>
    public const string PathPrefix = "/disk/";

    /// <summary>Bytes read from the disk and written to the response at a time.</summary>
    private const int ChunkSize = 1 << 20;

    private readonly IExportProvider _exports;
    private readonly ILogger _logger;
    private WebApplication? _app;

    public BlockHttpExport(IExportProvider exports, ILogger? logger = null)
    {
        _exports = exports ?? throw new ArgumentNullException(nameof(exports));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>http://address:port of the running listener.</summary>
    public Uri? BaseUri { get; private set; }

    /// <summary>Runs a Kestrel listener of its own (for `baremetal export`).</summary>
    public async Task StartAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(endPoint));
        var app = builder.Build();
        Map(app, _exports);
        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                      ?? $"http://{endPoint}";
        BaseUri = new Uri(address);
        Log.HttpListening(_logger, address);
    }

    /// <summary>Adds GET and HEAD /disk/{name} to an app (the web console's composition root uses this).</summary>
    public static void Map(IEndpointRouteBuilder routes, IExportProvider exports)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapMethods(PathPrefix + "{**name}", ["GET", "HEAD"], (HttpContext ctx, string name) => ServeAsync(ctx, exports, name));
    }

    /// <summary>Answers one request for a disk.</summary>
    public static async Task ServeAsync(HttpContext context, IExportProvider exports, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(exports);
        var response = context.Response;
        var export = exports.ForClient(ExportClient.From(context.Connection.RemoteIpAddress, ExportProtocol.Http)).Find(Uri.UnescapeDataString(name ?? ""));
        if (export is null)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var length = export.Size;
        var etag = ETag(export);
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = etag;
        response.ContentType = "application/octet-stream";
        var request = context.Request;
        var range = ByteRange.Parse(request.Headers.Range, length);
        // If-Range with another validator means the client's partial copy is stale: send it all.
        var ifRange = request.Headers.IfRange.ToString();
        if (range.Kind != RangeKind.Whole && ifRange.Length > 0 && ifRange != etag)
        {
            range = new ByteRange(RangeKind.Whole, 0, length - 1);
        }
        if (range.Kind == RangeKind.Unsatisfiable)
        {
            response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
            response.Headers.ContentRange = $"bytes */{length}";
            return;
        }
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        var counters = export.Counters.Client(client);
        export.Counters.Request(counters);
        long start = 0, count = length;
        if (range.Kind == RangeKind.Partial)
        {
            start = range.Start;
            count = range.Length;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.Start}-{range.End}/{length}");
        }
        response.ContentLength = count;
        if (HttpMethods.IsHead(request.Method) || count == 0)
        {
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkSize, count));
        try
        {
            var ct = context.RequestAborted;
            for (var pos = start; pos < start + count;)
            {
                var n = (int)Math.Min(buffer.Length, start + count - pos);
                export.Read(pos, buffer.AsSpan(0, n));
                await response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                export.Counters.Read(counters, pos, n);
                pos += n;
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away mid-body.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A strong validator that changes whenever the top layer is written: size, mtime (writes by anyone,
    /// across restarts) and the export's write count (writes within one mtime tick).
    /// </summary>
    private static string ETag(NbdExport export)
    {
        var mtime = File.GetLastWriteTimeUtc(export.Disk.Path).Ticks;
        return string.Create(CultureInfo.InvariantCulture, $"\"{export.Size:x}-{mtime:x}-{export.WriteGeneration:x}\"");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }
}
