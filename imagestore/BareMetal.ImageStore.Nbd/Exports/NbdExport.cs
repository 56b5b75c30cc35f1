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
