using System.Collections.Concurrent;

namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>
/// Decoded L2 tables keyed by their host offset, bounded by a byte budget. Lookups are lock-free
/// (a hit costs one dictionary probe and no allocation); eviction drops the least recently used
/// quarter under a lock when the budget is exceeded. Writers publish modified tables with
/// <see cref="Publish"/>, which also stops a reader that loaded the table before the write from
/// installing its stale copy.
/// </summary>
internal sealed class Qcow2L2Cache
{
    /// <summary>Default budget: 32 MiB of tables (512 GiB of guest data at 64 KiB clusters).</summary>
    public const long DefaultBudgetBytes = 32L << 20;

    /// <summary>Always keep at least this many tables, whatever the budget (a read spans at most a few).</summary>
    public const int MinTables = 8;

    private readonly ConcurrentDictionary<long, Slot> _slots = new();
    private readonly Lock _evictLock = new();
    private readonly int _maxTables;
    private int _count;
    private long _version;

    public Qcow2L2Cache(int tableBytes, long budgetBytes = DefaultBudgetBytes)
    {
        _maxTables = (int)Math.Max(MinTables, budgetBytes / tableBytes);
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Changes whenever a writer publishes a table; readers compare it around their load.</summary>
    public long Version => Volatile.Read(ref _version);

    public bool TryGet(long offset, out ulong[] table)
    {
        if (_slots.TryGetValue(offset, out var slot))
        {
            slot.LastUse = Environment.TickCount64;
            table = slot.Table;
            return true;
        }
        table = [];
        return false;
    }

    /// <summary>Installs a table a reader loaded from disk when no writer changed anything since <paramref name="versionBefore"/>.</summary>
    public void AddLoaded(long offset, ulong[] table, long versionBefore)
    {
        var slot = new Slot(table);
        if (!_slots.TryAdd(offset, slot))
        {
            return;
        }
        Interlocked.Increment(ref _count);
        if (Version != versionBefore && _slots.TryRemove(new KeyValuePair<long, Slot>(offset, slot)))
        {
            Interlocked.Decrement(ref _count);
        }
        EvictIfNeeded();
    }

    /// <summary>Installs (or replaces) the authoritative copy of a table a writer just changed on disk.</summary>
    public void Publish(long offset, ulong[] table)
    {
        Interlocked.Increment(ref _version);
        var slot = new Slot(table);
        var added = false;
        _slots.AddOrUpdate(offset, _ => { added = true; return slot; }, (_, _) => { added = false; return slot; });
        if (added)
        {
            Interlocked.Increment(ref _count);
        }
        EvictIfNeeded();
    }

    private void EvictIfNeeded()
    {
        if (Count <= _maxTables)
        {
            return;
        }
        lock (_evictLock)
        {
            if (Count <= _maxTables)
            {
                return;
            }
            var snapshot = _slots.ToArray();
            Array.Sort(snapshot, (a, b) => a.Value.LastUse.CompareTo(b.Value.LastUse));
            var target = _maxTables * 3 / 4;
            for (var i = 0; i < snapshot.Length && Count > target; i++)
            {
                if (_slots.TryRemove(snapshot[i]))
                {
                    Interlocked.Decrement(ref _count);
                }
            }
        }
    }

    private sealed class Slot(ulong[] table)
    {
        public ulong[] Table { get; } = table;
        public long LastUse { get; set; } = Environment.TickCount64;
    }
}
