using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using Microsoft.Extensions.Logging;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Turns the block service's per-export counters into deployment progress: every tick, each per-node
/// export ("image@525400123456") whose counters moved becomes one DiskRead event (bytes streamed,
/// distinct blocks touched, overlay size) for that node, which moves it to Streaming and reaches the console over SSE.
/// Reads are counted by the exports themselves; this only samples them, so the data path stays untouched.
/// <para>
/// Those counters live in this process, the deployment in the database. So a deployment's progress is
/// what it had when this process first saw its export (a restarted server, even after kill -9, carries
/// on from there instead of sending the console's figures back to zero), plus what the export counted
/// since; a new boot of the node (a new deployment) starts again from zero. The same holds for a deploy's
/// copy % (and its bytes and blocks): the server restores the watches of deploys under way from the
/// database when it starts (<see cref="Core.Boot.BootScriptService.DeploysUnderWayAsync"/>), and the
/// copy % it had then is the baseline to which the distinct bytes the node's address reads since are
/// added. That is a fair figure because the copier reads the image once, front to back: what it reads
/// after the restart is what it had not read before, except the chunk in flight at the kill, which it
/// asks for again and which counts twice (one chunk, bounded; the sum is capped at 100), while reads
/// between the last sample and the kill count for neither process (at most one interval's worth).
/// /deploy-done sets 100 % whatever the sum says. The figure never goes backwards: the baseline is what
/// the console last showed, and distinct bytes only grow.
/// </para>
/// <para>
/// Blocks are the counters' regions (64 KiB) read or written at least once. The export keeps one set of
/// them for as long as this process has it open, so a new boot served by the same process counts the
/// blocks it touches that no earlier boot had touched, and after a restart a block touched before and
/// again since counts twice (never beyond the disk's block count). The exports page has the exact
/// per-export figures.
/// </para>
/// </summary>
public sealed partial class ProgressPump : IAsyncDisposable
{
    private readonly CatalogExportProvider _exports;
    private readonly IDeploymentTracker _deployments;
    private readonly ILogger _logger;
    private readonly Dictionary<string, (long Bytes, long Blocks, long Overlay)> _last = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Bytes, long Blocks, double Percent)> _lastDeploy = new(StringComparer.Ordinal);
    /// <summary>Per export name (node exports) or "deploy {mac}" (deploy watches; no export name has a space).</summary>
    private readonly Dictionary<string, Baseline> _baselines = new(StringComparer.Ordinal);
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
                var now = (snapshot.BytesRead, snapshot.BlocksTouched, overlay);
                var seen = _last.TryGetValue(name, out var last);
                if (seen && last == now)
                {
                    continue;
                }
                _last[name] = now;
                try
                {
                    var shown = await ProgressOfCurrentDeploymentAsync(mac, name, new Progress(snapshot.BytesRead, snapshot.BlocksTouched, 0),
                        seen ? new Progress(last.Bytes, last.Blocks, 0) : null, cancellationToken);
                    await _deployments.RecordAsync(mac, new DeploymentEvent(DeploymentEventKind.DiskRead, Message: name,
                        BytesStreamed: shown.Bytes, BlocksFetched: Math.Min(shown.Blocks, snapshot.RegionCount), OverlayBytes: overlay), cancellationToken);
                    reported++;
                }
                catch (CatalogException e)
                {
                    // A disk read by a MAC the registry does not know (yet), or a move the state machine refuses.
                    LogSkipped(_logger, name, e.Message);
                }
            }
            reported += await PumpDeploysAsync(cancellationToken);
            return reported;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Deploy mode: the node's copier reads the image's shared base export, so its reads are told apart
    /// by the node's address (<see cref="CatalogExportProvider.DeployWatches"/>). Copy % = distinct bytes
    /// of the image that address has read (64 KiB regions, so re-reads do not count twice) / virtual size,
    /// on top of what the deployment had when this process first saw it (see the class comment).
    /// </summary>
    private async Task<int> PumpDeploysAsync(CancellationToken cancellationToken)
    {
        var reported = 0;
        foreach (var (mac, watch) in _exports.DeployWatches)
        {
            if (_exports.Find(watch.ExportName) is not { } export || export.Counters.ClientSnapshot(watch.ClientAddress) is not { } snapshot)
            {
                continue;
            }
            var percent = CopyPercent(snapshot, export.Size);
            var now = (snapshot.BytesRead, snapshot.BlocksTouched, percent);
            var key = "deploy " + mac;
            if (_lastDeploy.TryGetValue(key, out var last) && last == now)
            {
                continue;
            }
            _lastDeploy[key] = now;
            try
            {
                // No previous counters: a new deploy of the node re-registers its watch, which zeroes the
                // address's counters (CatalogExportProvider.WatchDeploy), so a new deployment counts from zero.
                var shown = await ProgressOfCurrentDeploymentAsync(mac, key, new Progress(snapshot.BytesRead, snapshot.BlocksTouched, percent), null, cancellationToken);
                await _deployments.RecordAsync(mac, new DeploymentEvent(DeploymentEventKind.DiskRead, Message: watch.ExportName,
                    BytesStreamed: shown.Bytes, BlocksFetched: Math.Min(shown.Blocks, snapshot.RegionCount), CopyPercent: shown.Percent), cancellationToken);
                reported++;
            }
            catch (CatalogException e)
            {
                LogSkipped(_logger, watch.ExportName, e.Message);
            }
        }
        return reported;
    }

    /// <summary>Share of the disk read at least once, 0..100 with one decimal.</summary>
    public static double CopyPercent(ImageStore.Nbd.Counters.CounterSnapshot snapshot, long size)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (size <= 0)
        {
            return 100;
        }
        var distinct = snapshot.ReadRanges.Sum(r => Math.Max(0, Math.Min(r.End, size) - r.Start));
        return Math.Round(Math.Min(100.0, distinct * 100.0 / size), 1);
    }

    /// <summary>
    /// The counters under <paramref name="key"/> as the node's current deployment should show them (see the
    /// class comment); <paramref name="previous"/> is their last sample in this process, null when none counts.
    /// </summary>
    private async Task<Progress> ProgressOfCurrentDeploymentAsync(string mac, string key, Progress counted, Progress? previous, CancellationToken cancellationToken)
    {
        var current = await _deployments.GetCurrentAsync(mac, cancellationToken);
        if (current is not { IsFinished: false })
        {
            return counted;
        }
        if (!_baselines.TryGetValue(key, out var b) || b.DeploymentId != current.Id)
        {
            b = _baselines.ContainsKey(key)
                // A new boot while this process serves the export: what was counted before belongs to the old one.
                ? new Baseline(current.Id, default, previous ?? default)
                // First sight since this process started: carry on from what the deployment already had.
                : new Baseline(current.Id, new Progress(current.BytesStreamed, current.BlocksFetched, current.CopyPercent), default);
            _baselines[key] = b;
        }
        return new Progress(
            b.Had.Bytes + Math.Max(0, counted.Bytes - b.CountedThen.Bytes),
            b.Had.Blocks + Math.Max(0, counted.Blocks - b.CountedThen.Blocks),
            Math.Min(100.0, Math.Round(b.Had.Percent + Math.Max(0, counted.Percent - b.CountedThen.Percent), 1)));
    }

    /// <summary>Bytes sent, distinct blocks touched, copy % (deploy watches only).</summary>
    private readonly record struct Progress(long Bytes, long Blocks, double Percent);

    /// <summary>Where a deployment's figures stood (<paramref name="Had"/>), and the counters then, when this process started following it.</summary>
    private readonly record struct Baseline(long DeploymentId, Progress Had, Progress CountedThen);

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
