namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>What a guest cluster (or subcluster) is in one layer, qemu's QCOW2_SUBCLUSTER_* types.</summary>
internal enum Qcow2SubclusterKind
{
    /// <summary>Nothing here: read the backing file (or zeros).</summary>
    Unallocated,
    /// <summary>Extended L2: a host cluster exists but this subcluster is not allocated (reads through).</summary>
    UnallocatedAlloc,
    /// <summary>Plain data at the host offset.</summary>
    Normal,
    /// <summary>Reads as zeros, no host cluster.</summary>
    ZeroPlain,
    /// <summary>Reads as zeros, host cluster preallocated.</summary>
    ZeroAlloc,
    /// <summary>Deflate-compressed cluster.</summary>
    Compressed,
    /// <summary>Contradictory bits (alloc and zero both set, or alloc without a host cluster).</summary>
    Invalid,
}

/// <summary>
/// Pure decoding of L1 and L2 entries (qcow2.rst, "Cluster mapping" and "Extended L2 Entries").
/// </summary>
internal static class Qcow2Entry
{
    /// <summary>Bit 63: refcount is exactly one (writes may go in place).</summary>
    public const ulong Copied = 1UL << 63;

    /// <summary>Bit 62 of an L2 entry: compressed cluster.</summary>
    public const ulong Compressed = 1UL << 62;

    /// <summary>Bit 0 of a standard cluster descriptor: reads as zeros (v3, without extended L2).</summary>
    public const ulong ZeroFlag = 1UL << 0;

    /// <summary>Bits 9-55: the host offset of an L2 table (L1 entry) or data cluster (L2 entry).</summary>
    public const ulong OffsetMask = 0x00ff_ffff_ffff_fe00UL;

    /// <summary>Reserved bits of an L1 entry (0-8 and 56-62).</summary>
    public const ulong L1Reserved = 0x7f00_0000_0000_01ffUL;

    /// <summary>Reserved bits of a standard L2 entry (1-8 and 56-61); bit 0 is the zero flag.</summary>
    public const ulong L2Reserved = 0x3f00_0000_0000_01feUL;

    /// <summary>Subclusters per cluster with extended L2.</summary>
    public const int Subclusters = 32;

    /// <summary>Bitmap with all 32 allocation bits set.</summary>
    public const ulong AllAllocated = 0xffff_ffffUL;

    /// <summary>Bitmap with all 32 zero bits set.</summary>
    public const ulong AllZero = 0xffff_ffffUL << 32;

    /// <summary>Compressed lengths are counted in 512-byte sectors.</summary>
    public const int CompressedSector = 512;

    public static long L1Offset(ulong entry) => (long)(entry & OffsetMask);

    public static long HostOffset(ulong entry) => (long)(entry & OffsetMask);

    /// <summary>The cluster-level kind of a standard (or the first half of an extended) L2 entry.</summary>
    public static Qcow2SubclusterKind ClusterKind(ulong entry, bool extended)
    {
        if ((entry & Compressed) != 0)
        {
            return Qcow2SubclusterKind.Compressed;
        }
        if ((entry & ZeroFlag) != 0 && !extended)
        {
            return (entry & OffsetMask) != 0 ? Qcow2SubclusterKind.ZeroAlloc : Qcow2SubclusterKind.ZeroPlain;
        }
        return (entry & OffsetMask) != 0 ? Qcow2SubclusterKind.Normal : Qcow2SubclusterKind.Unallocated;
    }

    /// <summary>The kind of subcluster <paramref name="sc"/> (0..31) of an extended L2 entry.</summary>
    public static Qcow2SubclusterKind SubclusterKind(ulong entry, ulong bitmap, int sc)
    {
        var kind = ClusterKind(entry, extended: true);
        if (kind == Qcow2SubclusterKind.Compressed)
        {
            return kind;
        }
        if (((bitmap >> 32) & bitmap) != 0)
        {
            return Qcow2SubclusterKind.Invalid;
        }
        var alloc = (bitmap >> sc & 1) != 0;
        var zero = (bitmap >> (32 + sc) & 1) != 0;
        if (kind == Qcow2SubclusterKind.Normal)
        {
            return zero ? Qcow2SubclusterKind.ZeroAlloc : alloc ? Qcow2SubclusterKind.Normal : Qcow2SubclusterKind.UnallocatedAlloc;
        }
        return zero ? Qcow2SubclusterKind.ZeroPlain : alloc ? Qcow2SubclusterKind.Invalid : Qcow2SubclusterKind.Unallocated;
    }

    /// <summary>
    /// A compressed cluster descriptor: host byte offset and the byte length qemu reads
    /// ((additional sectors + 1) * 512 minus the offset within the first sector).
    /// </summary>
    public static (long Offset, int Length) CompressedLocation(ulong entry, int clusterBits)
    {
        var shift = 62 - (clusterBits - 8);
        var offset = (long)(entry & ((1UL << shift) - 1));
        var sectors = (long)((entry >> shift) & ((1UL << (clusterBits - 8)) - 1)) + 1;
        var length = sectors * CompressedSector - (offset & (CompressedSector - 1));
        return (offset, (int)length);
    }

    /// <summary>Builds a compressed descriptor (for tests and the fuzzer's seed images).</summary>
    public static ulong MakeCompressed(long offset, int length, int clusterBits)
    {
        var shift = 62 - (clusterBits - 8);
        var sectors = ((offset & (CompressedSector - 1)) + length + CompressedSector - 1) / CompressedSector;
        return Compressed | (ulong)offset | ((ulong)(sectors - 1) << shift);
    }
}
