using System.Collections.Concurrent;

namespace BareMetal.ImageStore.Nbd.Counters;

/// <summary>Counters of one export, in total and per client (keyed by the client's address).</summary>
public sealed class ExportCounters
{
    /// <summary>Distinct clients tracked per export; beyond this, new clients count in the total only.</summary>
    public const int MaxClients = 4096;

    private readonly ConcurrentDictionary<string, BlockCounters> _clients = new(StringComparer.Ordinal);
    private readonly long _diskLength;

    public ExportCounters(string exportName, long diskLength)
    {
        ExportName = exportName;
        _diskLength = diskLength;
        Total = new BlockCounters(diskLength);
    }

    public string ExportName { get; }

    public BlockCounters Total { get; }

    /// <summary>The counters of one client (null when too many clients are tracked already).</summary>
    public BlockCounters? Client(string client)
    {
        if (_clients.TryGetValue(client, out var c))
        {
            return c;
        }
        return _clients.Count >= MaxClients ? null : _clients.GetOrAdd(client, _ => new BlockCounters(_diskLength));
    }

    public void Request(BlockCounters? client)
    {
        Total.Request();
        client?.Request();
        NbdMetrics.Requests.Add(1, new KeyValuePair<string, object?>("export", ExportName));
    }

    public void Read(BlockCounters? client, long offset, long length)
    {
        Total.Read(offset, length);
        client?.Read(offset, length);
        NbdMetrics.BytesRead.Add(length, new KeyValuePair<string, object?>("export", ExportName));
    }

    public void Written(BlockCounters? client, long offset, long length)
    {
        Total.Written(offset, length);
        client?.Written(offset, length);
        NbdMetrics.BytesWritten.Add(length, new KeyValuePair<string, object?>("export", ExportName));
    }

    public CounterSnapshot Snapshot() => Total.Snapshot();

    /// <summary>One client's counters; null when that client has not been seen (or was forgotten).</summary>
    public CounterSnapshot? ClientSnapshot(string client) => _clients.TryGetValue(client, out var c) ? c.Snapshot() : null;

    /// <summary>Drops one client's counters (the total keeps them): its next reads count from zero.</summary>
    public void ForgetClient(string client) => _clients.TryRemove(client, out _);

    public IReadOnlyDictionary<string, CounterSnapshot> ClientSnapshots() =>
        _clients.ToDictionary(kv => kv.Key, kv => kv.Value.Snapshot(), StringComparer.Ordinal);
}
