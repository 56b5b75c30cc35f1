using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Guest;

/// <summary>The guest OS: replays the boot trace one request at a time (think, I/O, think...), is
/// "ready" when the trace ends, then runs the scenario's workload until the horizon. It checks what
/// it reads: every read must return the latest data written (or the image's), every request must
/// complete once, in issue order.</summary>
internal sealed class GuestOs : IEventHandler, IBlockClient
{
    private const int EventBootNext = 1;
    private const int EventAppCpuDone = 2;
    private const int EventLogSync = 3;

    /// <summary>Largest commit-log write-back request.</summary>
    private const int MaxLogWriteBytes = 1 << 20;
    private const int LogRegionBytes = 64 << 20;

    private readonly Simulator _sim;
    private readonly IBlockDevice _device;
    private readonly BootTrace _trace;
    private readonly WorkloadSpec _workload;
    private readonly Xoshiro256 _rng;
    private readonly long _imageBytes;
    private readonly long _bucketNs;
    private readonly long[]? _expected;
    private readonly Dictionary<long, BlockRequest> _inFlight = [];
    private int _bootIndex;
    private long _nextId = 1;
    private long _nextTag = -1;
    private long _lastCompletedId;
    private long _seqCursor;
    private long _logCursor;
    private readonly Zipfian? _zipf;
    private readonly Mediation.BlockBitmap? _pageCache;
    private readonly long _pageCacheCapacity;
    private bool _inApp;
    private bool _stopped;
    private long _logDirtyBytes;
    private long _logFlushCursor;
    private long _logFlushId;

    public GuestOs(Simulator sim, IBlockDevice device, BootTrace trace, WorkloadSpec workload, long imageBytes, Xoshiro256 rng, bool trackContents, long bucketNs, int buckets)
    {
        _sim = sim;
        _device = device;
        _trace = trace;
        _workload = workload;
        _rng = rng;
        _imageBytes = imageBytes;
        _bucketNs = bucketNs;
        Buckets = new double[buckets];
        device.Client = this;
        if (workload.Kind == "ycsb")
        {
            var tablePages = Math.Max(1, (long)(workload.TableGiB * (1L << 30)) / GuestMemory.PageBytes);
            _zipf = workload.ZipfianTheta > 0 ? new Zipfian(tablePages, workload.ZipfianTheta) : null;
            _pageCacheCapacity = (long)(workload.PageCacheGiB * (1L << 30)) / GuestMemory.PageBytes;
            _pageCache = _pageCacheCapacity > 0 ? new Mediation.BlockBitmap(imageBytes / GuestMemory.PageBytes) : null;
        }

        if (trackContents)
        {
            _expected = new long[imageBytes / GuestMemory.PageBytes];
            for (var b = 0; b < _expected.Length; b++)
            {
                _expected[b] = ImageServer.ImageTag(b);
            }
        }
    }

    /// <summary>Multiplies CPU time: 1 on bare metal, more under nested paging or KVM.</summary>
    public double CpuFactor { get; set; } = 1;

    /// <summary>CPU factor from OS-ready on, when it differs from the boot's (KVM: a boot is
    /// exit-heavy, a running workload mostly pays nested paging).</summary>
    public double? AppCpuFactor { get; set; }

    /// <summary>Extra time per YCSB operation (KVM: the exits of its packets through the emulated NIC).</summary>
    public long AppExtraNsPerOp { get; set; }

    public long StartTime { get; private set; } = -1;

    public long OsReadyTime { get; private set; } = -1;

    /// <summary>Work done per timeline bucket: bytes for fio, operations for YCSB.</summary>
    public double[] Buckets { get; }

    public long Violations { get; private set; }

    public string? FirstViolation { get; private set; }

    public long Issued => _nextId - 1;

    public long Completed { get; private set; }

    public long InFlight => _inFlight.Count;

    /// <summary>What the guest believes each block holds (null when contents are not tracked).</summary>
    public long[]? Expected => _expected;

    /// <summary>Issues nothing new from now on; requests in flight still complete (tests drain this way).</summary>
    public void Stop() => _stopped = true;

    public void Start()
    {
        StartTime = _sim.Now;
        ScheduleBootStep();
    }

    public void OnEvent(int kind, long arg)
    {
        switch (kind)
        {
            case EventBootNext:
                var step = _trace.Steps[_bootIndex];
                Submit(step.Write, step.Offset, step.Length, step.FileOpen);
                break;
            case EventAppCpuDone:
                YcsbIo();
                break;
            case EventLogSync:
                SyncCommitLog();
                break;
            default:
                break;
        }
    }

    public void OnComplete(in BlockRequest request, ReadOnlySpan<long> data)
    {
        Completed++;
        if (!_inFlight.Remove(request.Id))
        {
            Violate($"request {request.Id} completed twice or was never issued");
        }

        if (request.Id < _lastCompletedId)
        {
            Violate($"request {request.Id} completed after request {_lastCompletedId}: reordered");
        }

        _lastCompletedId = Math.Max(_lastCompletedId, request.Id);
        CheckContents(request, data);
        if (!_inApp)
        {
            _bootIndex++;
            if (_bootIndex < _trace.Steps.Count)
            {
                ScheduleBootStep();
            }
            else
            {
                OsReadyTime = _sim.Now;
                StartApp();
            }

            return;
        }

        if (request.Id == _logFlushId)
        {
            _logFlushId = 0; // background write-back: no operation waits for it
            return;
        }

        if (_pageCache is not null && !request.Write && _pageCache.SetCount < _pageCacheCapacity)
        {
            _pageCache.SetRange(request.Offset / GuestMemory.PageBytes, request.Length / GuestMemory.PageBytes);
        }

        Account(request);
        NextAppRequest();
    }

    private void ScheduleBootStep()
    {
        if (_trace.Steps.Count == 0)
        {
            OsReadyTime = _sim.Now;
            StartApp();
            return;
        }

        var think = (long)(_trace.Steps[_bootIndex].ThinkNs * CpuFactor);
        _sim.After(think, this, EventBootNext);
    }

    private void Submit(bool write, long offset, int length, bool fileOpen)
    {
        if (_stopped)
        {
            return;
        }

        var tag = 0L;
        if (write)
        {
            tag = _nextTag;
            _nextTag -= length / GuestMemory.PageBytes;
        }

        var request = new BlockRequest(_nextId++, write, offset, length, fileOpen, tag);
        _inFlight.Add(request.Id, request);
        _device.Submit(request);
    }

    private void CheckContents(in BlockRequest r, ReadOnlySpan<long> data)
    {
        if (_expected is null)
        {
            return;
        }

        var first = r.Offset / GuestMemory.PageBytes;
        var pages = r.Length / GuestMemory.PageBytes;
        if (r.Write)
        {
            for (var i = 0; i < pages; i++)
            {
                _expected[first + i] = r.FirstTag - i;
            }

            return;
        }

        if (data.Length != pages)
        {
            Violate($"read {r.Id} returned {data.Length} pages, wanted {pages}");
            return;
        }

        for (var i = 0; i < pages; i++)
        {
            if (data[i] != _expected[first + i])
            {
                Violate($"read {r.Id} block {first + i}: got {data[i]}, latest is {_expected[first + i]}");
                return;
            }
        }
    }

    private void Violate(string message)
    {
        Violations++;
        FirstViolation ??= $"t={Time.ToSeconds(_sim.Now):F6}s {message}";
    }

    private void StartApp()
    {
        _inApp = true;
        if (AppCpuFactor is { } factor)
        {
            CpuFactor = factor;
        }

        if (_workload.Kind == "idle")
        {
            return;
        }

        for (var i = 0; i < _workload.QueueDepth; i++)
        {
            NextAppRequest();
        }

        if (_workload.Kind == "ycsb" && _workload.CommitLogSyncSeconds > 0)
        {
            _sim.After(Time.FromSeconds(_workload.CommitLogSyncSeconds), this, EventLogSync);
        }
    }

    /// <summary>Periodic commit-log sync: writes the log appended since the last sync, sequentially,
    /// in the background (Cassandra's commitlog_sync: periodic).</summary>
    private void SyncCommitLog()
    {
        if (_stopped)
        {
            return;
        }

        _sim.After(Time.FromSeconds(_workload.CommitLogSyncSeconds), this, EventLogSync);
        if (_logFlushId != 0 || _logDirtyBytes == 0)
        {
            return;
        }

        var (logBase, logBytes) = LogRegion();
        var length = (int)Math.Min(Math.Min(_logDirtyBytes, MaxLogWriteBytes), logBytes - _logFlushCursor);
        var at = logBase + _logFlushCursor;
        if (Overlaps(at, length))
        {
            return;
        }

        _logFlushCursor = (_logFlushCursor + length) % logBytes;
        _logDirtyBytes -= length;
        _logFlushId = _nextId;
        Submit(true, at, length, false);
    }

    private (long Base, long Bytes) LogRegion()
    {
        const int page = GuestMemory.PageBytes;
        var tableBytes = (long)(_workload.TableGiB * (1L << 30)) / page * page;
        var logBytes = Math.Max(page, Math.Min(LogRegionBytes, _imageBytes / 4 / page * page));
        return (Math.Max(0, _imageBytes - tableBytes - logBytes), logBytes);
    }

    private void CountOperation()
    {
        var bucket = _sim.Now / _bucketNs;
        if (bucket < Buckets.Length)
        {
            Buckets[bucket] += 1;
        }
    }

    private void Account(in BlockRequest r)
    {
        var bucket = _sim.Now / _bucketNs;
        if (bucket < Buckets.Length)
        {
            Buckets[bucket] += _workload.Kind == "ycsb" ? 1 : r.Length;
        }
    }

    private void NextAppRequest()
    {
        if (_workload.Kind == "ycsb")
        {
            _sim.After((long)(_workload.CpuUsPerOp * Time.Microsecond * CpuFactor) + AppExtraNsPerOp, this, EventAppCpuDone);
            return;
        }

        var bs = _workload.BlockKiB * 1024;
        var span = Math.Max(bs, (long)(_workload.SpanGiB * (1L << 30)) / bs * bs);
        var baseOffset = _imageBytes - span;
        var write = _workload.Kind is "fio-seq-write" or "fio-rand-write";
        long offset;
        if (_workload.Kind.StartsWith("fio-seq", StringComparison.Ordinal))
        {
            offset = baseOffset + _seqCursor;
            _seqCursor = (_seqCursor + bs) % span;
        }
        else
        {
            var tries = 0;
            do
            {
                offset = baseOffset + (_rng.NextInt64(span / bs) * bs);
            }
            while (Overlaps(offset, bs) && ++tries < 16);
        }

        if (Overlaps(offset, bs))
        {
            return; // the queue runs one shorter rather than issue overlapping I/O
        }

        Submit(write, offset, bs, false);
    }

    /// <summary>One YCSB operation after its CPU time: a cache hit needs no I/O; a miss reads a 4 KiB
    /// SSTable block; an update appends to the commit log.</summary>
    private void YcsbIo()
    {
        const int page = GuestMemory.PageBytes;
        if (_rng.NextDouble() < _workload.ReadFraction)
        {
            if (_rng.NextDouble() < _workload.CacheHitFraction)
            {
                CountOperation();
                NextAppRequest();
                return;
            }

            // The row lives in one SSTable chunk (readKiB, Cassandra's compression chunk): the whole
            // chunk is read and decompressed, and stays in the page cache.
            var chunk = _workload.ReadKiB * 1024;
            var table = Math.Max(chunk, (long)(_workload.TableGiB * (1L << 30)) / chunk * chunk);
            var tablePages = table / page;
            long offset;
            var tries = 0;
            do
            {
                var row = _zipf?.Next(_rng) ?? _rng.NextInt64(tablePages);
                offset = _imageBytes - table + (Math.Min(row, tablePages - 1) * page / chunk * chunk);
            }
            while (Overlaps(offset, chunk) && ++tries < 16);
            if (_pageCache is not null && _pageCache.Get(offset / page))
            {
                CountOperation(); // in the OS page cache: no disk I/O
                NextAppRequest();
                return;
            }

            Submit(false, offset, chunk, false);
            return;
        }

        if (_workload.CommitLogSyncSeconds > 0)
        {
            // Periodic commit log: the update is acknowledged from memory; the sync writes it later.
            _logDirtyBytes = Math.Min(_logDirtyBytes + page, LogRegion().Bytes);
            CountOperation();
            NextAppRequest();
            return;
        }

        var (logBase, logBytes) = LogRegion();
        var at = logBase + _logCursor;
        _logCursor = (_logCursor + page) % logBytes;
        if (Overlaps(at, page))
        {
            NextAppRequest();
            return;
        }

        Submit(true, at, page, false);
    }

    private bool Overlaps(long offset, int length)
    {
        foreach (var r in _inFlight.Values)
        {
            if (offset < r.Offset + r.Length && r.Offset < offset + length)
            {
                return true;
            }
        }

        return false;
    }
}
