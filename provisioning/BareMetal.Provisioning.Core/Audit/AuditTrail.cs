using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace BareMetal.Provisioning.Core.Audit;

/// <summary>
/// Where audited events go: the log at once, and the audit table (<see cref="AuditStore"/>) from a
/// background writer, so recording never waits for the database on a hot path (an NBD handshake, a
/// boot-script fetch). Refusals are the one thing a stranger can make many of: per source address and
/// action, the first <see cref="MaxRefusalsPerWindow"/> in a <see cref="Window"/> are kept one by one and the
/// rest are counted into one summary entry when the window ends, so 10 000 guesses cost a few rows and
/// flat memory. A full queue drops (and counts) rather than blocks.
/// </summary>
public sealed partial class AuditTrail : IAsyncDisposable
{
    /// <summary>Refusals of one action from one source kept one by one per window.</summary>
    public const int MaxRefusalsPerWindow = 20;

    /// <summary>Sources followed at once; past it, refusals from new sources share one counter.</summary>
    public const int MaxSourcesFollowed = 4096;

    /// <summary>Records waiting for the writer before new ones are dropped.</summary>
    public const int QueueLength = 8192;

    /// <summary>How long one refusal window lasts.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly AuditStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<object> _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(QueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Source, string Action), RefusalWindow> _refusals = [];
    private readonly Task _writer;
    private long _dropped;

    public AuditTrail(AuditStore store, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _time = time;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Records lost because the queue was full (a database far slower than the traffic).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records an event now, stamped with the injected clock. Never blocks.</summary>
    public void Record(string actor, string? source, string action, string? target, AuditOutcome outcome, string? detail = null) =>
        Record(new AuditRecord(_time.GetUtcNow(), actor, source, action, target, outcome, detail));

    public void Record(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var summaries = new List<AuditRecord>();
        bool keep;
        lock (_lock)
        {
            CloseWindows(record.At, summaries);
            keep = record.Outcome != AuditOutcome.Refused || CountRefusal(record);
        }
        foreach (var s in summaries)
        {
            Enqueue(s);
        }
        if (keep)
        {
            Enqueue(record);
        }
    }

    /// <summary>Waits until everything recorded before this call is in the table (closing finished refusal windows first).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var summaries = new List<AuditRecord>();
        lock (_lock)
        {
            CloseWindows(_time.GetUtcNow(), summaries);
        }
        foreach (var s in summaries)
        {
            Enqueue(s);
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(done, cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    private bool CountRefusal(AuditRecord record)
    {
        var source = record.Source ?? "?";
        if (!_refusals.ContainsKey((source, record.Action)) && _refusals.Count >= MaxSourcesFollowed)
        {
            source = "(many sources)";
        }
        if (!_refusals.TryGetValue((source, record.Action), out var w))
        {
            w = new RefusalWindow(record.At);
            _refusals[(source, record.Action)] = w;
        }
        w.Count++;
        if (w.Count <= MaxRefusalsPerWindow)
        {
            return true;
        }
        w.Suppressed++;
        return false;
    }

    private void CloseWindows(DateTimeOffset now, List<AuditRecord> summaries)
    {
        if (_refusals.Count == 0)
        {
            return;
        }
        List<(string, string)>? ended = null;
        foreach (var (key, w) in _refusals)
        {
            if (now - w.Start >= Window)
            {
                (ended ??= []).Add(key);
                if (w.Suppressed > 0)
                {
                    summaries.Add(new AuditRecord(now, "?", key.Source, key.Action, null, AuditOutcome.Refused,
                        $"{w.Suppressed} more refusals of {key.Action} from {key.Source} since {w.Start:u}, not recorded one by one"));
                }
            }
        }
        foreach (var key in ended ?? [])
        {
            _refusals.Remove(key);
        }
    }

    private void Enqueue(AuditRecord record)
    {
        if (record.Outcome == AuditOutcome.Refused)
        {
            LogRefused(_logger, record.Action, record.Actor, record.Source, record.Target, record.Detail);
        }
        else
        {
            LogEvent(_logger, record.Action, record.Actor, record.Source, record.Target, record.Outcome, record.Detail);
        }
        if (!_queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<AuditRecord>();
        var waiters = new List<TaskCompletionSource>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < 256 && _queue.Reader.TryRead(out var item))
            {
                if (item is AuditRecord r)
                {
                    batch.Add(r);
                }
                else if (item is TaskCompletionSource t)
                {
                    waiters.Add(t);
                    break;
                }
            }
            try
            {
                await _store.AppendAsync(batch);
            }
            catch (Exception e) when (e is BareMetal.ImageStore.Catalog.CatalogException or IOException or InvalidOperationException or ObjectDisposedException or System.Data.Common.DbException)
            {
                LogWriteFailed(_logger, batch.Count, e.Message);
            }
            batch.Clear();
            foreach (var t in waiters)
            {
                t.TrySetResult();
            }
            waiters.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await FlushAsync();
        }
        catch (ChannelClosedException)
        {
        }
        _queue.Writer.TryComplete();
        await _writer;
    }

    private sealed class RefusalWindow(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;

        public int Count { get; set; }

        public int Suppressed { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: refused {Action} by {Actor} from {Source} on {Target}: {Detail}")]
    private static partial void LogRefused(ILogger logger, string action, string actor, string? source, string? target, string? detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit: {Action} by {Actor} from {Source} on {Target}: {Outcome} {Detail}")]
    private static partial void LogEvent(ILogger logger, string action, string actor, string? source, string? target, AuditOutcome outcome, string? detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit: {Count} record(s) could not be written: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, int count, string reason);
}
