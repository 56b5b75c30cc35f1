using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>
/// `qemu-img check` for qcow2: rebuilds every cluster's reference count from the header, L1/L2
/// tables (active and snapshots), refcount table and blocks and the snapshot table, then compares
/// with the stored refcounts: stored &lt; references is a corruption, stored &gt; references a leak.
/// Also reports overlapping metadata, pointers past the end of the file, misaligned offsets,
/// invalid subcluster bitmaps and wrong COPIED flags.
/// </summary>
internal static class Qcow2Checker
{
    /// <summary>Most host clusters we keep counters for (2 B + 2 B + 1 B each: 160 MiB at the limit).</summary>
    public const long MaxCheckedClusters = 1L << 25;

    /// <summary>qemu caps a snapshot's extra data (QCOW_MAX_SNAPSHOT_EXTRA_DATA).</summary>
    private const int MaxSnapshotExtraData = 1024;

    /// <summary>qemu caps the whole snapshot table (QCOW_MAX_SNAPSHOTS_SIZE).</summary>
    private const long MaxSnapshotTableBytes = 64L << 20;

    /// <summary>Fixed part of a snapshot table entry.</summary>
    private const int SnapshotEntryFixedBytes = 40;

    private enum Use : byte
    {
        None,
        Header,
        L1Table,
        L2Table,
        Data,
        Compressed,
        RefcountTable,
        RefcountBlock,
        SnapshotTable,
        BitmapDirectory,
    }

    public static CheckReport Check(Qcow2Disk disk, CancellationToken ct)
    {
        var report = new CheckReport(disk.Path, ImageFormat.Qcow2);
        try
        {
            new Walker(disk, report, ct).Run();
        }
        catch (ImageFormatException e)
        {
            report.Add(CheckSeverity.Corruption, e.Problem);
        }
        return report;
    }

    private sealed class Walker
    {
        private readonly Qcow2Disk _disk;
        private readonly CheckReport _report;
        private readonly CancellationToken _ct;
        private readonly Qcow2Header _h;
        private readonly FileSource _file;
        private readonly int _cb;
        private readonly int _cs;
        private readonly long _fileLength;
        private readonly long _nbClusters;
        private readonly ushort[] _refs;
        private readonly Use[] _use;
        private readonly ulong[] _l2;
        private bool _leaksUnreliable;

        public Walker(Qcow2Disk disk, CheckReport report, CancellationToken ct)
        {
            _disk = disk;
            _report = report;
            _ct = ct;
            _h = disk.Header;
            _file = disk.File;
            _cb = _h.ClusterBits;
            _cs = _h.ClusterSize;
            _fileLength = _file.Length;
            _nbClusters = (_fileLength + _cs - 1) >> _cb;
            if (_nbClusters > MaxCheckedClusters)
            {
                throw Qcow2Error.Make(disk.Path, ImageError.SizeOutOfRange,
                    $"file has {_nbClusters} clusters, more than the {MaxCheckedClusters} a check can count");
            }
            _refs = new ushort[_nbClusters];
            _use = new Use[_nbClusters];
            _l2 = new ulong[_cs / 8];
        }

        private void Corrupt(string message) => _report.Add(CheckSeverity.Corruption, message);

        public void Run()
        {
            Count(0, _cs, Use.Header, "header");
            var l1 = _disk.L1.ToArray();
            Count(_h.L1TableOffset, (long)_h.L1Size * 8, Use.L1Table, "active L1 table");
            WalkL1(l1, "active L1");
            WalkSnapshots();
            if (_disk.Extensions.BitmapCount > 0)
            {
                // Bitmap tables are not walked: their clusters would show as leaks, so leaks are not reported.
                _leaksUnreliable = true;
                Count(_disk.Extensions.BitmapDirectoryOffset, _disk.Extensions.BitmapDirectorySize, Use.BitmapDirectory, "bitmap directory");
            }
            var stored = CompareRefcounts();
            if (stored is not null)
            {
                CheckCopiedFlags(l1, stored);
            }
        }

        /// <summary>Counts one reference to every cluster [offset, offset+size) touches.</summary>
        private void Count(long offset, long size, Use use, string what)
        {
            if (size <= 0)
            {
                return;
            }
            var first = offset >> _cb;
            var last = (offset + size - 1) >> _cb;
            if (offset < 0 || last >= _nbClusters)
            {
                Corrupt($"{what} at host offset {offset} (+{size}) extends past the end of the file ({_fileLength} bytes)");
                last = Math.Min(last, _nbClusters - 1);
            }
            for (var c = Math.Max(0, first); c <= last; c++)
            {
                if (_refs[c] < ushort.MaxValue)
                {
                    _refs[c]++;
                }
                var prior = _use[c];
                if (prior == Use.None)
                {
                    _use[c] = use;
                }
                else if (prior != use)
                {
                    Corrupt($"overlapping clusters: host cluster {c} (offset {c << _cb}) is used as {prior} and as {use} ({what})");
                }
            }
        }

        private bool TableFits(long offset, long bytes, string what)
        {
            if ((offset & (_cs - 1)) != 0)
            {
                Corrupt($"{what} at host offset {offset} is not cluster aligned");
                return false;
            }
            if (bytes > ImageLimits.MaxTableBytes)
            {
                Corrupt($"{what} of {bytes} bytes exceeds the limit of {ImageLimits.MaxTableBytes}");
                return false;
            }
            if (offset + bytes > _fileLength)
            {
                Corrupt($"{what} at host offset {offset} (+{bytes}) is past the end of the file ({_fileLength} bytes)");
                return false;
            }
            return true;
        }

        private void WalkL1(ulong[] l1, string which)
        {
            var l2Bits = _h.L2Bits;
            var entries = 1 << l2Bits;
            var extended = _h.ExtendedL2;
            for (var i = 0; i < l1.Length; i++)
            {
                _ct.ThrowIfCancellationRequested();
                var e = l1[i];
                var off = Qcow2Entry.L1Offset(e);
                if ((e & Qcow2Entry.L1Reserved) != 0)
                {
                    Corrupt($"{which} entry {i} has reserved bits set (0x{e:x16})");
                }
                if (off == 0)
                {
                    continue;
                }
                if ((off & (_cs - 1)) != 0)
                {
                    Corrupt($"{which} entry {i}: L2 table offset {off} is not cluster aligned");
                    continue;
                }
                if (off + _cs > _fileLength)
                {
                    Corrupt($"{which} entry {i}: L2 table at host offset {off} is past the end of the file ({_fileLength} bytes)");
                    continue;
                }
                Count(off, _cs, Use.L2Table, $"L2 table of {which} entry {i}");
                ReadL2(off);
                for (var j = 0; j < entries; j++)
                {
                    var guest = ((long)i << (l2Bits + _cb)) + ((long)j << _cb);
                    var l2e = extended ? _l2[j * 2] : _l2[j];
                    var bm = extended ? _l2[(j * 2) + 1] : 0;
                    CheckL2Entry(l2e, bm, guest);
                }
            }
        }

        private void ReadL2(long off)
        {
            _file.ReadExactlyOrZero(off, MemoryMarshal.AsBytes(_l2.AsSpan()));
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.ReverseEndianness(_l2, _l2);
            }
        }

        private void CheckL2Entry(ulong e, ulong bm, long guest)
        {
            var extended = _h.ExtendedL2;
            var kind = Qcow2Entry.ClusterKind(e, extended);
            if (kind == Qcow2SubclusterKind.Compressed)
            {
                if (extended && bm != 0)
                {
                    Corrupt($"compressed cluster for guest offset {guest} has a non-zero subcluster bitmap (0x{bm:x16})");
                }
                var (coff, clen) = Qcow2Entry.CompressedLocation(e, _cb);
                Count(coff, clen, Use.Compressed, $"compressed cluster for guest offset {guest}");
                return;
            }
            var reserved = Qcow2Entry.L2Reserved | (extended ? Qcow2Entry.ZeroFlag : 0);
            if ((e & reserved) != 0)
            {
                Corrupt($"L2 entry for guest offset {guest} has reserved bits set (0x{e:x16})");
            }
            if (extended && ((bm >> 32) & bm) != 0)
            {
                Corrupt($"L2 entry for guest offset {guest} marks subclusters both allocated and zero (bitmap 0x{bm:x16})");
            }
            if (kind is Qcow2SubclusterKind.Normal or Qcow2SubclusterKind.ZeroAlloc)
            {
                var host = Qcow2Entry.HostOffset(e);
                if ((host & (_cs - 1)) != 0)
                {
                    Corrupt($"L2 entry for guest offset {guest}: host offset {host} is not cluster aligned");
                    return;
                }
                Count(host, _cs, Use.Data, $"data cluster for guest offset {guest}");
            }
            else if (extended && (bm & Qcow2Entry.AllAllocated) != 0)
            {
                Corrupt($"L2 entry for guest offset {guest} marks subclusters allocated without a host cluster (bitmap 0x{bm:x16})");
            }
        }

        private void WalkSnapshots()
        {
            if (_h.NbSnapshots == 0)
            {
                return;
            }
            var start = _h.SnapshotsOffset;
            var pos = start;
            Span<byte> fixedPart = stackalloc byte[SnapshotEntryFixedBytes];
            for (var s = 0; s < _h.NbSnapshots; s++)
            {
                if (pos + SnapshotEntryFixedBytes > _fileLength)
                {
                    Corrupt($"snapshot table entry {s} at host offset {pos} is past the end of the file ({_fileLength} bytes)");
                    break;
                }
                _file.ReadExactlyOrZero(pos, fixedPart);
                var l1Off = BinaryPrimitives.ReadUInt64BigEndian(fixedPart);
                var l1Size = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[8..]);
                var idLen = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[12..]);
                var nameLen = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
                var extra = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[36..]);
                if (extra > MaxSnapshotExtraData)
                {
                    Corrupt($"snapshot {s} claims {extra} bytes of extra data (limit {MaxSnapshotExtraData})");
                    break;
                }
                pos += (SnapshotEntryFixedBytes + extra + idLen + nameLen + 7) & ~7L;
                if (pos - start > MaxSnapshotTableBytes)
                {
                    Corrupt($"snapshot table exceeds {MaxSnapshotTableBytes} bytes");
                    break;
                }
                var what = $"L1 table of snapshot {s}";
                if (l1Off > (ulong)_fileLength || !TableFits((long)l1Off, (long)l1Size * 8, what))
                {
                    if (l1Off > (ulong)_fileLength)
                    {
                        Corrupt($"{what} at host offset {l1Off} is past the end of the file ({_fileLength} bytes)");
                    }
                    continue;
                }
                Count((long)l1Off, (long)l1Size * 8, Use.L1Table, what);
                var l1 = new ulong[l1Size];
                _file.ReadExactlyOrZero((long)l1Off, MemoryMarshal.AsBytes(l1.AsSpan()));
                if (BitConverter.IsLittleEndian)
                {
                    BinaryPrimitives.ReverseEndianness(l1, l1);
                }
                WalkL1(l1, $"snapshot {s} L1");
            }
            Count(start, pos - start, Use.SnapshotTable, "snapshot table");
        }

        /// <summary>Reads every stored refcount and reports the differences; returns them (saturated) for the COPIED check.</summary>
        private ushort[]? CompareRefcounts()
        {
            var rtBytes = (long)_h.RefcountTableClusters << _cb;
            if (!TableFits(_h.RefcountTableOffset, rtBytes, "refcount table"))
            {
                return null;
            }
            Count(_h.RefcountTableOffset, rtBytes, Use.RefcountTable, "refcount table");
            var rt = new ulong[rtBytes / 8];
            _file.ReadExactlyOrZero(_h.RefcountTableOffset, MemoryMarshal.AsBytes(rt.AsSpan()));
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.ReverseEndianness(rt, rt);
            }
            var blocks = new long[rt.Length];
            for (var i = 0; i < rt.Length; i++)
            {
                var off = (long)(rt[i] & Qcow2Refcounts.TableOffsetMask);
                if ((rt[i] & ~Qcow2Refcounts.TableOffsetMask) != 0)
                {
                    Corrupt($"refcount table entry {i} has reserved bits set (0x{rt[i]:x16})");
                }
                if (off == 0)
                {
                    continue;
                }
                if ((off & (_cs - 1)) != 0)
                {
                    Corrupt($"refcount block {i} at host offset {off} is not cluster aligned");
                    continue;
                }
                if (off >= _fileLength)
                {
                    Corrupt($"refcount block {i} at host offset {off} is past the end of the file ({_fileLength} bytes)");
                    continue;
                }
                blocks[i] = off;
                Count(off, _cs, Use.RefcountBlock, $"refcount block {i}");
            }
            var order = _h.RefcountOrder;
            var perBlock = (long)_cs * 8 >> order;
            var stored = new ushort[_nbClusters];
            var block = new byte[_cs];
            for (long bi = 0; bi < rt.Length || bi * perBlock < _nbClusters; bi++)
            {
                _ct.ThrowIfCancellationRequested();
                var has = bi < rt.Length && blocks[bi] != 0;
                if (has)
                {
                    _file.ReadExactlyOrZero(blocks[bi], block);
                }
                var inFile = Math.Clamp(_nbClusters - (bi * perBlock), 0, perBlock);
                for (long idx = 0; idx < inFile; idx++)
                {
                    var c = (bi * perBlock) + idx;
                    var value = has ? Qcow2Refcounts.GetEntry(block, idx, order) : 0;
                    var refs = (ulong)_refs[c];
                    stored[c] = (ushort)Math.Min(value, ushort.MaxValue);
                    if (value < refs)
                    {
                        Corrupt($"cluster {c} (host offset {c << _cb}): refcount={value} reference={refs}");
                    }
                    else if (value > refs && !_leaksUnreliable)
                    {
                        _report.Add(CheckSeverity.Leak, $"cluster {c} (host offset {c << _cb}): refcount={value} reference={refs}");
                    }
                }
                if (has && inFile < perBlock && !_leaksUnreliable)
                {
                    ReportLeaksPastEnd(block, bi * perBlock, inFile, perBlock, order);
                }
            }
            return stored;
        }

        /// <summary>Refcounts for clusters past the end of the file: skips zero bytes quickly (a block may cover millions).</summary>
        private void ReportLeaksPastEnd(byte[] block, long firstCluster, long fromIdx, long perBlock, int order)
        {
            var entryBits = 1 << order;
            var pos = (int)((fromIdx * entryBits) / 8);
            while (pos < block.Length)
            {
                var k = block.AsSpan(pos).IndexOfAnyExcept((byte)0);
                if (k < 0)
                {
                    return;
                }
                pos += k;
                var firstIdx = Math.Max(fromIdx, (long)pos * 8 / entryBits);
                var lastIdx = Math.Min(perBlock - 1, Math.Max(firstIdx, (((long)pos + 1) * 8 / entryBits) - 1));
                for (var idx = firstIdx; idx <= lastIdx; idx++)
                {
                    var value = Qcow2Refcounts.GetEntry(block, idx, order);
                    if (value != 0)
                    {
                        var c = firstCluster + idx;
                        _report.Add(CheckSeverity.Leak, $"cluster {c} (host offset {c << _cb}, past the end of the file): refcount={value} reference=0");
                    }
                }
                pos = (int)(((lastIdx + 1) * entryBits + 7) / 8);
            }
        }

        private void CheckCopiedFlags(ulong[] l1, ushort[] stored)
        {
            var entries = 1 << _h.L2Bits;
            var extended = _h.ExtendedL2;
            for (var i = 0; i < l1.Length; i++)
            {
                _ct.ThrowIfCancellationRequested();
                var off = Qcow2Entry.L1Offset(l1[i]);
                if (off == 0 || (off & (_cs - 1)) != 0 || off + _cs > _fileLength)
                {
                    continue;
                }
                var rc = stored[off >> _cb];
                if ((rc == 1) != ((l1[i] & Qcow2Entry.Copied) != 0))
                {
                    Corrupt($"OFLAG_COPIED L2 table: active L1 entry {i} (0x{l1[i]:x16}) but refcount={rc}");
                }
                ReadL2(off);
                for (var j = 0; j < entries; j++)
                {
                    var e = extended ? _l2[j * 2] : _l2[j];
                    var kind = Qcow2Entry.ClusterKind(e, extended);
                    if (kind is not (Qcow2SubclusterKind.Normal or Qcow2SubclusterKind.ZeroAlloc))
                    {
                        continue;
                    }
                    var host = Qcow2Entry.HostOffset(e);
                    if ((host & (_cs - 1)) != 0 || host >= _fileLength)
                    {
                        continue;
                    }
                    var drc = stored[host >> _cb];
                    if ((drc == 1) != ((e & Qcow2Entry.Copied) != 0))
                    {
                        Corrupt($"OFLAG_COPIED data cluster: l2_entry=0x{e:x16} refcount={drc}");
                    }
                }
            }
        }
    }
}
