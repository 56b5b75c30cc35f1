using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>
/// The two-level refcount structure (qcow2.rst, "Host cluster management"): the refcount table in
/// memory, refcount blocks read and written in place. Used by the writer to allocate clusters and by
/// the checker to read stored refcounts. Allocation takes a cluster freed earlier in this session
/// when there is one, else grows the file. A freed cluster becomes reusable only after the next
/// flush (<see cref="ReleaseFreed"/>): by then the L2 update that dropped it is durable, so a crash
/// can never leave an old L2 entry on disk pointing at a cluster that now holds other data.
/// Not thread-safe: the writer calls it under its metadata lock.
/// </summary>
internal sealed class Qcow2Refcounts
{
    /// <summary>
    /// Bits 9-55 of a refcount table entry: the block's offset. The spec allows bits up to 63, but no
    /// file reaches 2^56 bytes; higher bits are treated as reserved (bits 0-8 are reserved anyway).
    /// </summary>
    public const ulong TableOffsetMask = 0x00ff_ffff_ffff_fe00UL;

    /// <summary>Header field offsets rewritten when the table moves.</summary>
    private const int HeaderRefcountTableOffset = 48;

    private readonly FileSource _file;
    private readonly int _clusterBits;
    private readonly int _order;
    private ulong[] _table;
    private readonly List<long> _freedSinceFlush = [];
    private readonly SortedSet<long> _reusable = [];

    private Qcow2Refcounts(FileSource file, int clusterBits, int order, long tableOffset, ulong[] table, long fileEnd)
    {
        _file = file;
        _clusterBits = clusterBits;
        _order = order;
        TableOffset = tableOffset;
        _table = table;
        FileEnd = fileEnd;
    }

    public long TableOffset { get; private set; }
    public int TableClusters => (int)(((long)_table.Length * 8) >> _clusterBits);
    public IReadOnlyList<ulong> Table => _table;

    /// <summary>Next free byte at the end of the file (cluster-aligned); every allocation comes from here.</summary>
    public long FileEnd { get; private set; }

    private int ClusterSize => 1 << _clusterBits;

    /// <summary>Refcount entries per block: cluster_size * 8 / refcount_bits.</summary>
    public long EntriesPerBlock => (long)ClusterSize * 8 >> _order;

    public static ulong MaxRefcount(int order) => order == 6 ? ulong.MaxValue : (1UL << (1 << order)) - 1;

    /// <summary>Reads the refcount table of an image (bounds were checked by the header parser).</summary>
    public static Qcow2Refcounts Load(FileSource file, Qcow2Header h)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(h);
        var bytes = (long)h.RefcountTableClusters << h.ClusterBits;
        if (h.RefcountTableOffset + bytes > file.Length)
        {
            throw Qcow2Error.Make(file.Path, ImageError.PointerOutOfRange,
                $"refcount table at {h.RefcountTableOffset} ({bytes} bytes) extends past the end of the file ({file.Length} bytes)");
        }
        var table = new ulong[bytes / 8];
        file.ReadExactlyOrZero(h.RefcountTableOffset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(table.AsSpan()));
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(table, table);
        }
        var cs = 1L << h.ClusterBits;
        var end = (file.Length + cs - 1) & ~(cs - 1);
        // Refcounts may claim clusters past the end of the file (another writer's preallocation):
        // start allocating after the last one in use, never on top of it.
        var perBlock = cs * 8 >> h.RefcountOrder;
        var block = new byte[cs];
        for (var bi = (end >> h.ClusterBits) / perBlock; bi < table.Length; bi++)
        {
            var blockOffset = (long)(table[bi] & TableOffsetMask);
            if (blockOffset == 0 || (blockOffset & (cs - 1)) != 0 || blockOffset > file.Length - cs)
            {
                continue;
            }
            file.ReadExactlyOrZero(blockOffset, block);
            var lastByte = block.AsSpan().LastIndexOfAnyExcept((byte)0);
            if (lastByte >= 0)
            {
                // The last entry touching that byte (rounding up is harmless: it only skips space).
                var idx = (((long)lastByte * 8) + 7) >> h.RefcountOrder;
                end = Math.Max(end, ((bi * perBlock) + idx + 1) << h.ClusterBits);
            }
        }
        return new Qcow2Refcounts(file, h.ClusterBits, h.RefcountOrder, h.RefcountTableOffset, table, end);
    }

    /// <summary>A fresh, empty structure for a new image whose table lives at <paramref name="tableOffset"/>.</summary>
    public static Qcow2Refcounts CreateEmpty(FileSource file, int clusterBits, int order, long tableOffset, int tableClusters, long fileEnd) =>
        new(file, clusterBits, order, tableOffset, new ulong[((long)tableClusters << clusterBits) / 8], fileEnd);

    /// <summary>Reads refcount <paramref name="index"/> of a refcount block (sub-byte widths: bit 0 is the LSB).</summary>
    public static ulong GetEntry(ReadOnlySpan<byte> block, long index, int order)
    {
        switch (order)
        {
            case < 3:
                var bits = 1 << order;
                var perByte = 8 / bits;
                return (ulong)(block[(int)(index / perByte)] >> (int)(index % perByte * bits)) & ((1UL << bits) - 1);
            case 3:
                return block[(int)index];
            case 4:
                return BinaryPrimitives.ReadUInt16BigEndian(block[(int)(index * 2)..]);
            case 5:
                return BinaryPrimitives.ReadUInt32BigEndian(block[(int)(index * 4)..]);
            default:
                return BinaryPrimitives.ReadUInt64BigEndian(block[(int)(index * 8)..]);
        }
    }

    /// <summary>Writes refcount <paramref name="index"/> of a refcount block.</summary>
    public static void SetEntry(Span<byte> block, long index, int order, ulong value)
    {
        switch (order)
        {
            case < 3:
                var bits = 1 << order;
                var perByte = 8 / bits;
                var shift = (int)(index % perByte * bits);
                var mask = (int)((1 << bits) - 1) << shift;
                ref var b = ref block[(int)(index / perByte)];
                b = (byte)((b & ~mask) | (((int)value << shift) & mask));
                break;
            case 3:
                block[(int)index] = (byte)value;
                break;
            case 4:
                BinaryPrimitives.WriteUInt16BigEndian(block[(int)(index * 2)..], (ushort)value);
                break;
            case 5:
                BinaryPrimitives.WriteUInt32BigEndian(block[(int)(index * 4)..], (uint)value);
                break;
            default:
                BinaryPrimitives.WriteUInt64BigEndian(block[(int)(index * 8)..], value);
                break;
        }
    }

    /// <summary>Called after a flush: clusters freed before it may now be handed out again.</summary>
    public void ReleaseFreed()
    {
        foreach (var c in _freedSinceFlush)
        {
            _reusable.Add(c);
        }
        _freedSinceFlush.Clear();
    }

    /// <summary>
    /// Takes <paramref name="count"/> contiguous clusters with refcount 1: a single cluster comes from
    /// the reusable set (lowest first) when it has one, anything else from the end of the file.
    /// </summary>
    public long Allocate(int count)
    {
        if (count == 1 && _reusable.Count > 0)
        {
            var cluster = _reusable.Min;
            _reusable.Remove(cluster);
            Adjust(cluster, +1);
            return cluster << _clusterBits;
        }
        var offset = FileEnd;
        FileEnd += (long)count << _clusterBits;
        for (var i = 0; i < count; i++)
        {
            Adjust((offset >> _clusterBits) + i, +1);
        }
        return offset;
    }

    /// <summary>Adds <paramref name="delta"/> to the refcount of host cluster <paramref name="cluster"/>.</summary>
    public void Adjust(long cluster, int delta)
    {
        var blockIndex = cluster / EntriesPerBlock;
        if (blockIndex >= _table.Length)
        {
            Grow(blockIndex + 1);
        }
        var blockOffset = (long)(_table[blockIndex] & TableOffsetMask);
        if (blockOffset == 0)
        {
            if (delta < 0)
            {
                throw Qcow2Error.Make(_file.Path, ImageError.BadHeader, $"refcount of cluster {cluster} would drop below zero (no refcount block)");
            }
            blockOffset = FileEnd;
            FileEnd += ClusterSize;
            _file.Write(blockOffset, new byte[ClusterSize]);
            SetTableEntry(blockIndex, (ulong)blockOffset);
            // The new block needs a refcount too; usually it lands in the block it starts.
            Adjust(blockOffset >> _clusterBits, +1);
        }
        var index = cluster % EntriesPerBlock;
        var byteInBlock = (index << _order) / 8;
        var at = blockOffset + (byteInBlock & ~7L);
        Span<byte> word = stackalloc byte[8];
        _file.ReadExactlyOrZero(at, word);
        var sub = ((byteInBlock & 7) * 8 >> _order) + (index % Math.Max(1, 8 >> _order));
        var old = GetEntry(word, sub, _order);
        var value = delta >= 0 ? old + (ulong)delta : old - (ulong)(-delta);
        if ((delta > 0 && (value < old || value > MaxRefcount(_order))) || (delta < 0 && old < (ulong)(-delta)))
        {
            throw Qcow2Error.Make(_file.Path, ImageError.BadHeader, $"refcount of cluster {cluster} would leave 0..{MaxRefcount(_order)} ({old} {delta:+0;-0})");
        }
        SetEntry(word, sub, _order, value);
        _file.Write(at, word);
        if (value == 0)
        {
            _freedSinceFlush.Add(cluster);
        }
    }

    /// <summary>Reads the stored refcount of host cluster <paramref name="cluster"/>.</summary>
    public ulong Get(long cluster)
    {
        var blockIndex = cluster / EntriesPerBlock;
        if (blockIndex >= _table.Length)
        {
            return 0;
        }
        var blockOffset = (long)(_table[blockIndex] & TableOffsetMask);
        if (blockOffset == 0)
        {
            return 0;
        }
        var index = cluster % EntriesPerBlock;
        var byteInBlock = (index << _order) / 8;
        Span<byte> word = stackalloc byte[8];
        _file.ReadExactlyOrZero(blockOffset + (byteInBlock & ~7L), word);
        var sub = ((byteInBlock & 7) * 8 >> _order) + (index % Math.Max(1, 8 >> _order));
        return GetEntry(word, sub, _order);
    }

    private void SetTableEntry(long index, ulong value)
    {
        _table[index] = value;
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        _file.Write(TableOffset + index * 8, b);
    }

    /// <summary>
    /// Moves the refcount table to a bigger one at the end of the file: the new table is written
    /// completely before the header points at it, then the old table's clusters are released.
    /// </summary>
    private void Grow(long minEntries)
    {
        var cs = ClusterSize;
        var entries = Math.Max(minEntries + 1, (long)_table.Length * 2);
        var clusters = (int)((entries * 8 + cs - 1) / cs);
        if ((long)clusters * cs > ImageLimits.MaxTableBytes)
        {
            throw Qcow2Error.Make(_file.Path, ImageError.SizeOutOfRange, $"refcount table would exceed {ImageLimits.MaxTableBytes} bytes");
        }
        var oldOffset = TableOffset;
        var oldClusters = TableClusters;
        var newOffset = FileEnd;
        FileEnd += (long)clusters * cs;
        var table = new ulong[(long)clusters * cs / 8];
        Array.Copy(_table, table, _table.Length);
        _table = table;
        TableOffset = newOffset;
        // Reserve the new table's own clusters (may allocate blocks, recorded in the new table).
        _file.Write(newOffset, new byte[(long)clusters * cs]);
        for (var i = 0; i < clusters; i++)
        {
            Adjust((newOffset >> _clusterBits) + i, +1);
        }
        var bytes = new byte[(long)clusters * cs];
        for (var i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), _table[i]);
        }
        _file.Write(newOffset, bytes);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(header, (ulong)newOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)clusters);
        _file.Write(HeaderRefcountTableOffset, header);
        for (var i = 0; i < oldClusters; i++)
        {
            Adjust((oldOffset >> _clusterBits) + i, -1);
        }
    }
}
