using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>
/// A qcow2 image (v2 and v3; qemu docs/interop/qcow2.rst): L1 table in memory, L2 tables in a
/// bounded cache, zero clusters, deflate-compressed clusters, extended L2 subclusters, backing
/// chains. Writable when opened so (or created by <see cref="Qcow2Writer"/>): clusters are allocated
/// at the end of the file, metadata is written through in the order refcount, data, L2, L1, so a
/// crashed writer leaves at worst leaked clusters, never a table pointing at unreferenced space.
/// </summary>
public sealed class Qcow2Disk : VirtualDisk
{
    /// <summary>Header offset of the autoclear_features field (cleared before we write, as the spec demands).</summary>
    private const int HeaderAutoclearOffset = 88;

    [ThreadStatic]
    private static DecodedCluster? t_decoded;

    private readonly ulong[] _l1;
    private readonly Qcow2L2Cache _cache;
    private readonly int _cb;
    private readonly int _cs;
    private readonly int _l2Bits;
    private readonly bool _extended;
    private readonly Qcow2Refcounts? _refcounts;
    private readonly Lock _writeLock = new();
    private byte[]? _zeroCluster;

    private Qcow2Disk(FileSource file, VirtualDisk? backing, Qcow2Header header, Qcow2Extensions ext, ulong[] l1,
        string? backingName, Qcow2Refcounts? refcounts)
        : base(file, backing)
    {
        Header = header;
        Extensions = ext;
        _l1 = l1;
        _cb = header.ClusterBits;
        _cs = header.ClusterSize;
        _l2Bits = header.L2Bits;
        _extended = header.ExtendedL2;
        _cache = new Qcow2L2Cache(_cs);
        BackingName = backingName;
        _refcounts = refcounts;
    }

    public override ImageFormat Format => ImageFormat.Qcow2;

    public override long Length => Header.Size;

    public override bool CanWrite => _refcounts is not null;

    internal Qcow2Header Header { get; }

    internal Qcow2Extensions Extensions { get; }

    internal string? BackingName { get; }

    internal ReadOnlySpan<ulong> L1 => _l1;

    public int ClusterSize => _cs;

    /// <summary>Opens a qcow2 image; refuses features we do not implement with a message naming them.</summary>
    public static VirtualDisk Open(FileSource file, OpenContext context)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(context);
        var path = file.Path;
        var fileLength = file.Length;
        Span<byte> head = stackalloc byte[Qcow2Header.V3WrittenLength];
        var got = file.ReadAtMost(0, head);
        var header = Qcow2Header.Parse(head[..got], fileLength, path);
        var cluster0 = new byte[(int)Math.Min(header.ClusterSize, fileLength)];
        file.ReadExactlyOrZero(0, cluster0);
        var ext = Qcow2Extensions.Parse(cluster0, header.HeaderLength, path);
        header.CheckFeatures(path, ext);
        string? backingName = null;
        if (header.BackingFileOffset != 0)
        {
            var nameBytes = cluster0.AsSpan((int)header.BackingFileOffset, header.BackingFileSize);
            backingName = Encoding.UTF8.GetString(nameBytes);
        }
        var l1 = new ulong[header.L1Size];
        file.ReadExactlyOrZero(header.L1TableOffset, MemoryMarshal.AsBytes(l1.AsSpan()));
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(l1, l1);
        }
        Qcow2Refcounts? refcounts = null;
        if (context.Writable)
        {
            refcounts = PrepareForWriting(file, header);
        }
        VirtualDisk? backing = null;
        if (!string.IsNullOrEmpty(backingName))
        {
            var backingFormat = Qcow2Extensions.FormatFromName(ext.BackingFormat, path);
            backing = context.OpenBacking(path, ImageFormat.Qcow2, backingName, backingFormat);
        }
        return new Qcow2Disk(file, backing, header, ext, l1, backingName, refcounts);
    }

    private static Qcow2Refcounts PrepareForWriting(FileSource file, Qcow2Header header)
    {
        var path = file.Path;
        if ((header.IncompatibleFeatures & Qcow2Header.IncompatCorrupt) != 0)
        {
            throw Qcow2Error.Make(path, ImageError.Unsupported, "image is marked corrupt (incompatible feature bit 1): refusing to write to it (qemu-img check -r all repairs it)");
        }
        if ((header.IncompatibleFeatures & Qcow2Header.IncompatDirty) != 0)
        {
            throw Qcow2Error.Make(path, ImageError.Unsupported, "image is marked dirty (lazy refcounts not yet repaired): refusing to write to it (qemu-img check -r all repairs it)");
        }
        if (header.NbSnapshots != 0)
        {
            throw Qcow2Error.Make(path, ImageError.Unsupported, $"writing to images with internal snapshots ({header.NbSnapshots}) is not supported");
        }
        if (!file.Writable)
        {
            throw Qcow2Error.Make(path, ImageError.ReadOnly, "file is open read-only");
        }
        var refcounts = Qcow2Refcounts.Load(file, header);
        if (header.Version >= 3 && header.AutoclearFeatures != 0)
        {
            // Autoclear bits promise consistency of data we do not maintain (e.g. dirty bitmaps).
            file.Write(HeaderAutoclearOffset, new byte[8]);
        }
        return refcounts;
    }

    public override ImageDetails Describe()
    {
        var h = Header;
        var features = new Dictionary<string, string>
        {
            ["compat"] = h.Version == 2 ? "0.10" : "1.1",
            ["refcount-bits"] = (1 << h.RefcountOrder).ToString(CultureInfo.InvariantCulture),
        };
        if (h.Version >= 3)
        {
            features["compression-type"] = h.CompressionType == Qcow2Header.CompressionZlib ? "zlib" : "zstd";
            features["lazy-refcounts"] = Bool((h.CompatibleFeatures & Qcow2Header.CompatLazyRefcounts) != 0);
            features["extended-l2"] = Bool(h.ExtendedL2);
            features["corrupt"] = Bool((h.IncompatibleFeatures & Qcow2Header.IncompatCorrupt) != 0);
            if ((h.IncompatibleFeatures & Qcow2Header.IncompatDirty) != 0)
            {
                features["dirty"] = "true";
            }
        }
        if (h.NbSnapshots > 0)
        {
            features["snapshots"] = h.NbSnapshots.ToString(CultureInfo.InvariantCulture);
        }
        return new ImageDetails
        {
            Format = ImageFormat.Qcow2,
            Path = Path,
            VirtualSize = h.Size,
            AllocatedSize = Raw.RawDisk.AllocatedBytes(File),
            ClusterSize = _cs,
            Subformat = h.Version == 2 ? "v2" : "v3",
            Features = features,
            BackingFile = BackingName,
            BackingFormat = Extensions.BackingFormat is { } f ? Qcow2Extensions.FormatFromName(f, Path) : null,
        };

        static string Bool(bool b) => b ? "true" : "false";
    }

    protected internal override BlockRun Lookup(long offset, long maxLength)
    {
        var cluster = offset >> _cb;
        var l1Index = cluster >> _l2Bits;
        var l2Off = Qcow2Entry.L1Offset(Volatile.Read(ref _l1[l1Index]));
        var limit = offset + maxLength;
        if (l2Off == 0)
        {
            // Unallocated L2 tables: one run over every consecutive empty L1 entry.
            var span = 1L << (_cb + _l2Bits);
            var end = (l1Index + 1) << (_cb + _l2Bits);
            for (var i = l1Index + 1; end < limit && i < _l1.Length && Qcow2Entry.L1Offset(Volatile.Read(ref _l1[i])) == 0; i++)
            {
                end += span;
            }
            return BlockRun.Unallocated(Math.Min(end, limit) - offset);
        }
        var table = GetL2(l2Off, offset);
        var entries = 1 << _l2Bits;
        var idx = (int)(cluster & (entries - 1));
        var inCluster = offset & (_cs - 1);
        var first = Piece(table, idx, inCluster, offset);
        var length = first.Length;
        if (first.Kind == Qcow2SubclusterKind.Compressed)
        {
            return new BlockRun(Math.Min(length, maxLength), BlockState.Encoded, first.Host, null, first.Tag);
        }
        // Merge following clusters in the same state (and, for data, contiguous on the host).
        while (offset + length < limit && ((offset + length) & (_cs - 1)) == 0)
        {
            var nextIdx = idx + (int)((inCluster + length) >> _cb);
            if (nextIdx >= entries)
            {
                break;
            }
            var next = Piece(table, nextIdx, 0, offset + length);
            if (next.Kind != first.Kind || (first.Host >= 0 && next.Host != first.Host + length))
            {
                break;
            }
            length += next.Length;
            if (next.Length < _cs)
            {
                break;
            }
        }
        length = Math.Min(length, maxLength);
        return first.Kind switch
        {
            Qcow2SubclusterKind.Normal => BlockRun.Data(length, first.Host),
            Qcow2SubclusterKind.ZeroAlloc => BlockRun.Zero(length, first.Host),
            Qcow2SubclusterKind.ZeroPlain => BlockRun.Zero(length),
            _ => BlockRun.Unallocated(length),
        };
    }

    /// <summary>One cluster's (or run of subclusters') state from guest offset <paramref name="guest"/>.</summary>
    private (Qcow2SubclusterKind Kind, long Host, long Length, long Tag) Piece(ulong[] table, int idx, long inCluster, long guest)
    {
        ulong e, bm = 0;
        if (_extended)
        {
            e = Volatile.Read(ref table[idx * 2]);
            bm = Volatile.Read(ref table[(idx * 2) + 1]);
        }
        else
        {
            e = Volatile.Read(ref table[idx]);
        }
        var kind = Qcow2Entry.ClusterKind(e, _extended);
        var length = _cs - inCluster;
        if (kind == Qcow2SubclusterKind.Compressed)
        {
            var (coff, clen) = Qcow2Entry.CompressedLocation(e, _cb);
            if (coff >= File.Length)
            {
                throw Qcow2Error.Make(Path, ImageError.PointerOutOfRange,
                    $"compressed cluster for guest offset {guest} at host offset {coff} is past the end of the file ({File.Length} bytes)");
            }
            return (kind, coff, length, clen);
        }
        if (_extended)
        {
            // 32 subclusters per cluster: a subcluster is cluster_size >> 5.
            var scBits = _cb - 5;
            var sc = (int)(inCluster >> scBits);
            kind = Qcow2Entry.SubclusterKind(e, bm, sc);
            var last = sc;
            while (last + 1 < Qcow2Entry.Subclusters && Qcow2Entry.SubclusterKind(e, bm, last + 1) == kind)
            {
                last++;
            }
            length = ((long)(last + 1) << scBits) - inCluster;
            if (kind == Qcow2SubclusterKind.Invalid)
            {
                throw Qcow2Error.Make(Path, ImageError.BadHeader,
                    $"extended L2 entry for guest offset {guest} is invalid (entry 0x{e:x16}, bitmap 0x{bm:x16})");
            }
        }
        long host = -1;
        if (kind is Qcow2SubclusterKind.Normal or Qcow2SubclusterKind.ZeroAlloc)
        {
            var cl = Qcow2Entry.HostOffset(e);
            if ((cl & (_cs - 1)) != 0)
            {
                throw Qcow2Error.Make(Path, ImageError.PointerOutOfRange,
                    $"L2 entry for guest offset {guest} points to unaligned host offset {cl} (cluster size {_cs})");
            }
            if (kind == Qcow2SubclusterKind.Normal && cl >= File.Length)
            {
                throw Qcow2Error.Make(Path, ImageError.PointerOutOfRange,
                    $"data cluster for guest offset {guest} at host offset {cl} is past the end of the file ({File.Length} bytes)");
            }
            host = cl + inCluster;
        }
        return (kind, host, length, 0);
    }

    /// <summary>The decoded L2 table at host offset <paramref name="l2Off"/> (cached).</summary>
    private ulong[] GetL2(long l2Off, long guest)
    {
        if (_cache.TryGet(l2Off, out var table))
        {
            return table;
        }
        if ((l2Off & (_cs - 1)) != 0)
        {
            throw Qcow2Error.Make(Path, ImageError.PointerOutOfRange,
                $"L1 entry for guest offset {guest} points to unaligned L2 table offset {l2Off} (cluster size {_cs})");
        }
        if (l2Off > File.Length - _cs)
        {
            throw Qcow2Error.Make(Path, ImageError.PointerOutOfRange,
                $"L2 table for guest offset {guest} at host offset {l2Off} is past the end of the file ({File.Length} bytes)");
        }
        var version = _cache.Version;
        table = new ulong[_cs / 8];
        File.ReadExactlyOrZero(l2Off, MemoryMarshal.AsBytes(table.AsSpan()));
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(table, table);
        }
        _cache.AddLoaded(l2Off, table, version);
        return table;
    }

    /// <summary>The L2 table for checks: same validation, but not cached.</summary>
    internal ulong[] LoadL2ForCheck(long l2Off) => GetL2(l2Off, -1);

    protected internal override void ReadEncoded(long offset, in BlockRun run, Span<byte> dest)
    {
        var inCluster = (int)(offset & (_cs - 1));
        if (inCluster == 0 && dest.Length == _cs)
        {
            // A whole-cluster read (convert, big reads): inflate straight into the caller's buffer.
            Decompress(run.HostOffset, (int)run.Tag, dest);
            return;
        }
        var decoded = t_decoded;
        if (decoded is null || decoded.Owner != this || decoded.HostOffset != run.HostOffset || decoded.Data.Length < _cs)
        {
            decoded ??= new DecodedCluster();
            if (decoded.Data.Length < _cs)
            {
                decoded.Data = new byte[_cs];
            }
            decoded.Owner = null;
            Decompress(run.HostOffset, (int)run.Tag, decoded.Data.AsSpan(0, _cs));
            decoded.Owner = this;
            decoded.HostOffset = run.HostOffset;
            t_decoded = decoded;
        }
        decoded.Data.AsSpan(inCluster, dest.Length).CopyTo(dest);
    }

    /// <summary>Inflates one raw-deflate compressed cluster (qemu writes deflate without a zlib header).</summary>
    private void Decompress(long hostOffset, int compressedLength, Span<byte> cluster)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(compressedLength);
        try
        {
            var n = File.ReadAtMost(hostOffset, buffer.AsSpan(0, compressedLength));
            using var input = new MemoryStream(buffer, 0, n, writable: false);
            using var inflate = new DeflateStream(input, CompressionMode.Decompress);
            var done = 0;
            while (done < cluster.Length)
            {
                var r = inflate.Read(cluster[done..]);
                if (r == 0)
                {
                    break;
                }
                done += r;
            }
            if (done < cluster.Length)
            {
                throw Qcow2Error.Make(Path, ImageError.BadCompressedData,
                    $"compressed cluster at host offset {hostOffset} ({compressedLength} bytes) decodes to {done} bytes, not a full cluster of {cluster.Length}");
            }
        }
        catch (InvalidDataException e)
        {
            throw Qcow2Error.Make(Path, ImageError.BadCompressedData, $"compressed cluster at host offset {hostOffset} is not valid deflate data: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override CheckReport Check(CancellationToken cancellationToken = default) =>
        Qcow2Checker.Check(this, cancellationToken);

    // ---------------------------------------------------------------- writing

    public override void Write(long offset, ReadOnlySpan<byte> data)
    {
        var refcounts = _refcounts ?? throw ReadOnlyError();
        CheckRange(offset, data.Length);
        lock (_writeLock)
        {
            var done = 0;
            while (done < data.Length)
            {
                var pos = offset + done;
                var inCluster = (int)(pos & (_cs - 1));
                var n = Math.Min(_cs - inCluster, data.Length - done);
                WriteInCluster(refcounts, pos - inCluster, inCluster, data.Slice(done, n));
                done += n;
            }
        }
    }

    public override void WriteZeroes(long offset, long length)
    {
        var refcounts = _refcounts ?? throw ReadOnlyError();
        CheckRange(offset, length);
        lock (_writeLock)
        {
            ZeroRange(refcounts, offset, length, fastOnly: false);
        }
    }

    /// <summary>
    /// Fast only where every piece is a whole cluster (a zero flag in its L2 entry, v3) or already
    /// reads as zeros; a partial cluster over data or a backing file means writing a zero buffer.
    /// </summary>
    public override bool TryWriteZeroesFast(long offset, long length)
    {
        var refcounts = _refcounts ?? throw ReadOnlyError();
        CheckRange(offset, length);
        lock (_writeLock)
        {
            if (!ZeroRange(refcounts, offset, length, fastOnly: true))
            {
                return false;
            }
            ZeroRange(refcounts, offset, length, fastOnly: false);
            return true;
        }
    }

    /// <summary>Zeroes the range, or with <paramref name="fastOnly"/> only says whether that needs no data write.</summary>
    private bool ZeroRange(Qcow2Refcounts refcounts, long offset, long length, bool fastOnly)
    {
        var pos = offset;
        var end = offset + length;
        while (pos < end)
        {
            var inCluster = (int)(pos & (_cs - 1));
            var clusterStart = pos - inCluster;
            var n = (int)Math.Min(_cs - inCluster, end - pos);
            var whole = inCluster == 0 && (n == _cs || clusterStart + n == Length);
            if (whole && Header.Version >= 3)
            {
                if (!fastOnly)
                {
                    ZeroCluster(refcounts, clusterStart);
                }
            }
            else
            {
                var (kind, run) = CurrentKind(clusterStart, pos);
                // Nothing to do where the bytes already read as zeros without a backing file behind them.
                if (!(Backing is null && run >= n && kind is Qcow2SubclusterKind.Unallocated or Qcow2SubclusterKind.ZeroPlain or Qcow2SubclusterKind.ZeroAlloc))
                {
                    if (fastOnly)
                    {
                        return false;
                    }
                    _zeroCluster ??= new byte[_cs];
                    WriteInCluster(refcounts, clusterStart, inCluster, _zeroCluster.AsSpan(0, n));
                }
            }
            pos += n;
        }
        return true;
    }

    public override void Flush()
    {
        if (_refcounts is null)
        {
            return;
        }
        lock (_writeLock)
        {
            // Data, L2, L1 and refcounts were all written through in dependency order; one fsync
            // makes every acknowledged write durable.
            File.Flush();
            _refcounts.ReleaseFreed();
        }
    }

    /// <summary>The state at <paramref name="pos"/> and how far (within its cluster) it lasts.</summary>
    private (Qcow2SubclusterKind Kind, long Length) CurrentKind(long clusterStart, long pos)
    {
        var l1Index = (clusterStart >> _cb) >> _l2Bits;
        var l2Off = Qcow2Entry.L1Offset(_l1[l1Index]);
        if (l2Off == 0)
        {
            return (Qcow2SubclusterKind.Unallocated, _cs - (pos - clusterStart));
        }
        var table = GetL2(l2Off, pos);
        var idx = (int)((clusterStart >> _cb) & ((1 << _l2Bits) - 1));
        var p = Piece(table, idx, pos - clusterStart, pos);
        return (p.Kind, p.Length);
    }

    private void WriteInCluster(Qcow2Refcounts refcounts, long clusterStart, int inCluster, ReadOnlySpan<byte> piece)
    {
        var (table, l2Off) = GetL2ForWrite(refcounts, clusterStart);
        var idx = (int)((clusterStart >> _cb) & ((1 << _l2Bits) - 1));
        var e = _extended ? table[idx * 2] : table[idx];
        var bm = _extended ? table[(idx * 2) + 1] : 0;
        var kind = Qcow2Entry.ClusterKind(e, _extended);
        var owned = (e & Qcow2Entry.Copied) != 0 && kind is Qcow2SubclusterKind.Normal or Qcow2SubclusterKind.ZeroAlloc;
        var fullyAllocated = !_extended || ((bm & Qcow2Entry.AllAllocated) == Qcow2Entry.AllAllocated && (bm >> 32) == 0);
        if (owned && kind == Qcow2SubclusterKind.Normal && fullyAllocated)
        {
            File.Write(Qcow2Entry.HostOffset(e) + inCluster, piece);
            return;
        }
        // Copy-on-write: the cluster's current content (through the backing chain), merged with the new bytes.
        var buffer = ArrayPool<byte>.Shared.Rent(_cs);
        try
        {
            var cluster = buffer.AsSpan(0, _cs);
            if (piece.Length < _cs)
            {
                var valid = (int)Math.Min(_cs, Length - clusterStart);
                Read(clusterStart, cluster[..valid]);
                cluster[valid..].Clear();
            }
            piece.CopyTo(cluster[inCluster..]);
            var host = owned ? Qcow2Entry.HostOffset(e) : refcounts.Allocate(1);
            File.Write(host, cluster);
            SetL2Entry(table, l2Off, idx, (ulong)host | Qcow2Entry.Copied, _extended ? Qcow2Entry.AllAllocated : 0);
            if (!owned)
            {
                Release(refcounts, e, kind);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ZeroCluster(Qcow2Refcounts refcounts, long clusterStart)
    {
        var (current, length) = CurrentKind(clusterStart, clusterStart);
        if (Backing is null && length == _cs && current is Qcow2SubclusterKind.Unallocated or Qcow2SubclusterKind.ZeroPlain)
        {
            // Already reads as zeros and nothing shows through: no L2 table needs allocating.
            return;
        }
        var (table, l2Off) = GetL2ForWrite(refcounts, clusterStart);
        var idx = (int)((clusterStart >> _cb) & ((1 << _l2Bits) - 1));
        var e = _extended ? table[idx * 2] : table[idx];
        var kind = Qcow2Entry.ClusterKind(e, _extended);
        var owned = (e & Qcow2Entry.Copied) != 0 && kind is Qcow2SubclusterKind.Normal or Qcow2SubclusterKind.ZeroAlloc;
        // Keep our own host cluster (a later write reuses it); let go of anything shared or compressed.
        var keep = owned ? (ulong)Qcow2Entry.HostOffset(e) | Qcow2Entry.Copied : 0;
        if (_extended)
        {
            SetL2Entry(table, l2Off, idx, keep, Qcow2Entry.AllZero);
        }
        else
        {
            SetL2Entry(table, l2Off, idx, keep | Qcow2Entry.ZeroFlag, 0);
        }
        if (!owned)
        {
            Release(refcounts, e, kind);
        }
    }

    /// <summary>Drops the references an overwritten L2 entry held (compressed bytes, a shared cluster).</summary>
    private void Release(Qcow2Refcounts refcounts, ulong e, Qcow2SubclusterKind kind)
    {
        if (kind == Qcow2SubclusterKind.Compressed)
        {
            var (coff, clen) = Qcow2Entry.CompressedLocation(e, _cb);
            for (var c = coff >> _cb; c <= (coff + clen - 1) >> _cb; c++)
            {
                refcounts.Adjust(c, -1);
            }
        }
        else if (kind is Qcow2SubclusterKind.Normal or Qcow2SubclusterKind.ZeroAlloc)
        {
            refcounts.Adjust(Qcow2Entry.HostOffset(e) >> _cb, -1);
        }
    }

    private (ulong[] Table, long Offset) GetL2ForWrite(Qcow2Refcounts refcounts, long clusterStart)
    {
        var l1Index = (clusterStart >> _cb) >> _l2Bits;
        var l1e = _l1[l1Index];
        var l2Off = Qcow2Entry.L1Offset(l1e);
        if (l2Off == 0)
        {
            l2Off = refcounts.Allocate(1);
            File.Write(l2Off, new byte[_cs]);
            var fresh = new ulong[_cs / 8];
            _cache.Publish(l2Off, fresh);
            var entry = (ulong)l2Off | Qcow2Entry.Copied;
            Volatile.Write(ref _l1[l1Index], entry);
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(b, entry);
            File.Write(Header.L1TableOffset + (l1Index * 8), b);
            return (fresh, l2Off);
        }
        if ((l1e & Qcow2Entry.Copied) == 0)
        {
            throw Qcow2Error.Make(Path, ImageError.Unsupported,
                $"L2 table at {l2Off} is shared (refcount is not 1); writing to it would need snapshot copy-on-write, which is not supported");
        }
        return (GetL2(l2Off, clusterStart), l2Off);
    }

    private void SetL2Entry(ulong[] table, long l2Off, int idx, ulong entry, ulong bitmap)
    {
        Span<byte> b = stackalloc byte[16];
        if (_extended)
        {
            Volatile.Write(ref table[idx * 2], entry);
            Volatile.Write(ref table[(idx * 2) + 1], bitmap);
            BinaryPrimitives.WriteUInt64BigEndian(b, entry);
            BinaryPrimitives.WriteUInt64BigEndian(b[8..], bitmap);
            File.Write(l2Off + (idx * 16L), b);
        }
        else
        {
            Volatile.Write(ref table[idx], entry);
            BinaryPrimitives.WriteUInt64BigEndian(b, entry);
            File.Write(l2Off + (idx * 8L), b[..8]);
        }
        _cache.Publish(l2Off, table);
    }

    /// <summary>The last cluster a thread decompressed, so 4 KiB reads inside one compressed cluster inflate it once.</summary>
    private sealed class DecodedCluster
    {
        public Qcow2Disk? Owner { get; set; }
        public long HostOffset { get; set; } = -1;
        public byte[] Data { get; set; } = [];
    }
}
