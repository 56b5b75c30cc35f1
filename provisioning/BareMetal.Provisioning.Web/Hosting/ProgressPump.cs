using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using Microsoft.Extensions.Logging;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Turns the block service's per-export counters into deployment progress: every tick, each per-node
/// export ("image@525400123456") whose counters moved becomes one DiskRead event (bytes streamed, read
/// requests, overlay size) for that node, which moves it to Streaming and reaches the console over SSE.
/// Reads are counted by the exports themselves; this only samples them, so the data path stays untouched.
/// </summary>
public sealed partial class ProgressPump : IAsyncDisposable
{
    private readonly CatalogExportProvider _exports;
    private readonly IDeploymentTracker _deployments;
    private readonly ILogger _logger;
    private readonly Dictionary<string, (long Bytes, long Requests, long Overlay)> _last = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ITimer? _timer;

    public ProgressPump(CatalogExportProvider exports, IDeploymentTracker deployments, ILogger logger)
    {
        _exports = exports;
        _deployments = deployments;
        _logger = logger;
    }

    public void Start(TimeProvider time, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(time);
        _timer = time.CreateTimer(_ => _ = PumpAsync(CancellationToken.None), null, interval, interval);
    }

    /// <summary>One sample of every per-node export; returns how many nodes got a progress event.</summary>
    public async Task<int> PumpAsync(CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(0, cancellationToken))
        {
            return 0;
        }
        try
        {
            var reported = 0;
            foreach (var (name, export) in _exports.NodeExports)
            {
                var identity = name[(name.LastIndexOf(OverlayExportProvider.IdentitySeparator) + 1)..];
                if (Macs.Normalise(identity) is not { } mac)
                {
                    continue;
                }
                var snapshot = export.Counters.Snapshot();
                var overlay = OverlaySize(_exports.OverlayPath(name));
                var now = (snapshot.BytesRead, snapshot.Requests, overlay);
                if (_last.TryGetValue(name, out var last) && last == now)
                {
                    continue;
                }
                _last[name] = now;
                try
                {
                    await _deployments.RecordAsync(mac, new DeploymentEvent(DeploymentEventKind.DiskRead, Message: name,
                        BytesStreamed: snapshot.BytesRead, BlocksFetched: snapshot.Requests, OverlayBytes: overlay), cancellationToken);
                    reported++;
                }
                catch (CatalogException e)
                {
                    // A disk read by a MAC the registry does not know (yet), or a move the state machine refuses.
                    LogSkipped(_logger, name, e.Message);
                }
            }
            return reported;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static long OverlaySize(string path)
    {
        try
        {
            return new FileInfo(path).Exists ? new FileInfo(path).Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "No progress event for {Export}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string export, string reason);

    public async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }
        await _gate.WaitAsync();
        _gate.Dispose();
    }
}
