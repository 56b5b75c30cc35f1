using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Raw;
using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>
/// A virtual disk as clients see it: raw bytes, read-only or writable. One instance is shared by every
/// connection to the export (there is no per-connection cache), which is what makes
/// NBD_FLAG_CAN_MULTI_CONN true: a FLUSH on one connection covers writes made on all of them.
/// The provider owns the disk; connections never dispose it.
/// </summary>
public sealed class NbdExport
{
    public NbdExport(string name, VirtualDisk disk, bool readOnly, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(disk);
        if (!readOnly && !disk.CanWrite)
        {
            throw new ArgumentException($"export '{name}': the disk is not open for writing", nameof(readOnly));
        }
        Name = name;
        Disk = disk;
        ReadOnly = readOnly;
        Description = description;
        Counters = new ExportCounters(name, disk.Length);
        // A raw disk is its file: reads go straight to pread, skipping per-read SEEK_DATA/SEEK_HOLE lookups.
        _rawFile = disk.Backing is null && disk.Format is ImageFormat.Raw or ImageFormat.Iso && disk.GetType() == typeof(RawDisk);
        if (readOnly)
        {
            _extents = new Lazy<ExtentCache?>(() => ExtentCache.Build(disk), LazyThreadSafetyMode.ExecutionAndPublication);
        }
    }

    private readonly bool _rawFile;
    private readonly Lazy<ExtentCache?>? _extents;

    /// <summary>Reads guest bytes (the fast path for raw files: one pread).</summary>
    public void Read(long offset, Span<byte> dest)
    {
        if (_rawFile)
        {
            if (offset < 0 || dest.Length > Size - offset)
            {
                throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{dest.Length} is outside the disk (size {Size})");
            }
            Disk.File.ReadExactlyOrZero(offset, dest);
            return;
        }
        Disk.Read(offset, dest);
    }

    /// <summary>
    /// The allocation map of [offset, offset+length): cached for read-only exports, live otherwise.
    /// Null when holes are not worth finding per request (a writable raw file, where SEEK_HOLE is slow).
    /// </summary>
    public IEnumerable<DiskExtent>? MapForRead(long offset, long length)
    {
        if (_extents?.Value is { } cache)
        {
            return cache.Query(offset, length);
        }
        return _rawFile ? null : Disk.Map(offset, length);
    }

    /// <summary>The allocation map for BLOCK_STATUS: cached when possible, else live.</summary>
    public IEnumerable<DiskExtent> Map(long offset, long length) =>
        _extents?.Value is { } cache ? cache.Query(offset, length) : Disk.Map(offset, length);

    public string Name { get; }

    public string? Description { get; }

    public VirtualDisk Disk { get; }

    public bool ReadOnly { get; }

    public long Size => Disk.Length;

    public ExportCounters Counters { get; }

    /// <summary>
    /// Smallest request granularity we advertise to clients that ask for block sizes: 512 when the
    /// disk is a whole number of sectors, else 1 (a sector minimum would hide the disk's tail).
    /// </summary>
    public uint MinimumBlockSize => Size % 512 == 0 ? 512u : 1u;

    // The gate: lets a commit hold writes while it copies (a consistent snapshot) and lets a reset wait
    // until no request touches the disk before the provider disposes it. Reads stay lock-free (one
    // interlocked count), so a commit never stalls a node's reads; writes take the monitor.
    private readonly object _gate = new();
    private int _active;
    private int _writers;
    private bool _held;
    private int _closed;

    private long _writeGeneration;

    /// <summary>
    /// Counts writes (and flushes) through NBD since the export opened: part of the HTTP ETag, because
    /// a file's mtime moves in coarse kernel ticks and can miss a write made just after another.
    /// </summary>
    public long WriteGeneration => Interlocked.Read(ref _writeGeneration);

    /// <summary>Raised once when the export is withdrawn (reset): connections to it end.</summary>
    public event Action? Closed;

    /// <summary>The export was withdrawn: its disk is (about to be) disposed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Starts one request; false when the export is closed (answer ESHUTDOWN). A write (or flush) waits
    /// while a commit holds writes. Every true is paired with one <see cref="Exit"/> with the same flag.
    /// </summary>
    public bool TryEnter(bool write)
    {
        if (!write)
        {
            Interlocked.Increment(ref _active);
            if (IsClosed)
            {
                Exit(write: false);
                return false;
            }
            return true;
        }
        lock (_gate)
        {
            while (_held && !IsClosed)
            {
                Monitor.Wait(_gate);
            }
            if (IsClosed)
            {
                return false;
            }
            _writers++;
            Interlocked.Increment(ref _active);
            return true;
        }
    }

    public void Exit(bool write)
    {
        if (!write)
        {
            Interlocked.Decrement(ref _active);
            return;
        }
        lock (_gate)
        {
            Interlocked.Increment(ref _writeGeneration);
            Interlocked.Decrement(ref _active);
            if (--_writers == 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Waits for the writes in progress, then holds new ones until disposed: what the disk shows stays
    /// put while a commit copies it. Reads go on. One holder at a time (a second commit waits).
    /// </summary>
    public IDisposable HoldWrites()
    {
        lock (_gate)
        {
            while (_held)
            {
                Monitor.Wait(_gate);
            }
            ObjectDisposedException.ThrowIf(IsClosed, this);
            _held = true;
            Interlocked.Increment(ref _active);
            while (_writers > 0)
            {
                Monitor.Wait(_gate);
            }
        }
        return new WriteHold(this);
    }

    private void ReleaseWrites()
    {
        lock (_gate)
        {
            _held = false;
            Interlocked.Decrement(ref _active);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Withdraws the export: new requests are refused, <see cref="Closed"/> tells its connections to end,
    /// and this returns once no request (or commit) is using the disk, so the caller may dispose it.
    /// </summary>
    public void Close()
    {
        lock (_gate)
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }
            Monitor.PulseAll(_gate);
        }
        Closed?.Invoke();
        SpinWait.SpinUntil(() => Volatile.Read(ref _active) == 0);
    }

    private sealed class WriteHold(NbdExport export) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                export.ReleaseWrites();
            }
        }
    }

    /// <summary>Preferred request size: 64 KiB, the cluster size of the images we serve.</summary>
    public const uint PreferredBlockSize = 64 * 1024;

    /// <summary>The transmission flags this export advertises.</summary>
    public ushort TransmissionFlags(bool structuredReplies)
    {
        var f = (ushort)(NbdProtocol.TxHasFlags | NbdProtocol.TxSendFlush | NbdProtocol.TxSendCache | NbdProtocol.TxCanMultiConn);
        if (ReadOnly)
        {
            f |= NbdProtocol.TxReadOnly;
        }
        else
        {
            f |= NbdProtocol.TxSendFua | NbdProtocol.TxSendTrim | NbdProtocol.TxSendWriteZeroes | NbdProtocol.TxSendFastZero;
        }
        if (structuredReplies)
        {
            f |= NbdProtocol.TxSendDf;
        }
        return f;
    }
}
