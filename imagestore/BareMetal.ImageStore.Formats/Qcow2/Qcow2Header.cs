using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>
/// The fixed qcow2 header (qemu docs/interop/qcow2.rst, "Header"), all fields big-endian.
/// <see cref="Parse"/> is pure and validates every field that later code uses as a size, shift or
/// offset, so nothing downstream trusts a lying header.
/// </summary>
internal sealed class Qcow2Header
{
    /// <summary>"QFI\xfb".</summary>
    public const uint Magic = 0x514649fb;

    /// <summary>A version 2 header is exactly this long (bytes 0..71).</summary>
    public const int V2Length = 72;

    /// <summary>A version 3 header holds at least the fields up to header_length (bytes 0..103).</summary>
    public const int V3MinLength = 104;

    /// <summary>The v3 header we write: 104 bytes plus compression_type and 7 bytes of padding.</summary>
    public const int V3WrittenLength = 112;

    /// <summary>Smallest cluster: 512 B (the spec's lower bound).</summary>
    public const int MinClusterBits = 9;

    /// <summary>Largest cluster: 2 MiB (qemu's implementation limit, also ours).</summary>
    public const int MaxClusterBits = 21;

    /// <summary>Extended L2 needs 32 subclusters of at least 512 B: clusters of 16 KiB or more.</summary>
    public const int MinExtendedL2ClusterBits = 14;

    /// <summary>The spec caps the backing file name at 1023 bytes.</summary>
    public const int MaxBackingNameBytes = 1023;

    /// <summary>refcount_bits = 1 &lt;&lt; refcount_order, at most 64.</summary>
    public const int MaxRefcountOrder = 6;

    /// <summary>qemu refuses more snapshots than this (QCOW_MAX_SNAPSHOTS).</summary>
    public const uint MaxSnapshots = 65536;

    // incompatible_features bits.
    public const ulong IncompatDirty = 1UL << 0;
    public const ulong IncompatCorrupt = 1UL << 1;
    public const ulong IncompatDataFile = 1UL << 2;
    public const ulong IncompatCompression = 1UL << 3;
    public const ulong IncompatExtendedL2 = 1UL << 4;
    public const ulong IncompatKnown = IncompatDirty | IncompatCorrupt | IncompatDataFile | IncompatCompression | IncompatExtendedL2;

    /// <summary>compatible_features bit 0: lazy refcounts.</summary>
    public const ulong CompatLazyRefcounts = 1UL << 0;

    /// <summary>compression_type values.</summary>
    public const byte CompressionZlib = 0;
    public const byte CompressionZstd = 1;

    public int Version { get; init; }
    public long BackingFileOffset { get; init; }
    public int BackingFileSize { get; init; }
    public int ClusterBits { get; init; }
    public long Size { get; init; }
    public uint CryptMethod { get; init; }
    public uint L1Size { get; init; }
    public long L1TableOffset { get; init; }
    public long RefcountTableOffset { get; init; }
    public uint RefcountTableClusters { get; init; }
    public uint NbSnapshots { get; init; }
    public long SnapshotsOffset { get; init; }
    public ulong IncompatibleFeatures { get; init; }
    public ulong CompatibleFeatures { get; init; }
    public ulong AutoclearFeatures { get; init; }
    public int RefcountOrder { get; init; } = 4;
    public int HeaderLength { get; init; } = V2Length;
    public byte CompressionType { get; init; }

    public int ClusterSize => 1 << ClusterBits;
    public bool ExtendedL2 => (IncompatibleFeatures & IncompatExtendedL2) != 0;

    /// <summary>Bytes per L2 entry: 8, or 16 with extended L2 (entry + subcluster bitmap).</summary>
    public int L2EntryBytes => ExtendedL2 ? 16 : 8;

    /// <summary>log2 of the number of entries in one L2 table.</summary>
    public int L2Bits => ClusterBits - (ExtendedL2 ? 4 : 3);

    /// <summary>L1 entries needed to map the whole virtual size.</summary>
    public long L1EntriesNeeded => RequiredL1Entries(Size, ClusterBits, L2Bits);

    public static long RequiredL1Entries(long size, int clusterBits, int l2Bits)
    {
        var perL1 = 1L << (clusterBits + l2Bits);
        return (size + perL1 - 1) >> (clusterBits + l2Bits);
    }

    /// <summary>
    /// Parses and validates the header in <paramref name="b"/> (at least the first 104 bytes of the
    /// file, or all of it when shorter). Feature bits are checked later, once the feature name table
    /// is known, by <see cref="CheckFeatures"/>.
    /// </summary>
    public static Qcow2Header Parse(ReadOnlySpan<byte> b, long fileLength, string path)
    {
        if (b.Length < V2Length || fileLength < V2Length)
        {
            throw Qcow2Error.Make(path, ImageError.Truncated, $"file is {fileLength} bytes, shorter than the {V2Length}-byte qcow2 header");
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(b) != Magic)
        {
            throw Qcow2Error.Make(path, ImageError.BadHeader, "bad magic (not QFI\\xfb)");
        }
        var version = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
        if (version is not 2 and not 3)
        {
            throw Qcow2Error.Make(path, ImageError.Unsupported, $"qcow2 version {version} is not supported (2 and 3 are)");
        }
        var clusterBits = BinaryPrimitives.ReadUInt32BigEndian(b[20..]);
        if (clusterBits is < MinClusterBits or > MaxClusterBits)
        {
            throw Qcow2Error.Make(path, ImageError.SizeOutOfRange,
                $"cluster_bits {clusterBits} is outside {MinClusterBits}..{MaxClusterBits} (512 B to 2 MiB clusters)");
        }
        var cs = 1L << (int)clusterBits;
        var size = BinaryPrimitives.ReadUInt64BigEndian(b[24..]);
        if (size > ImageLimits.MaxVirtualSize)
        {
            throw Qcow2Error.Make(path, ImageError.SizeOutOfRange, $"virtual size {size} exceeds the limit of {ImageLimits.MaxVirtualSize} bytes");
        }
        ulong incompat = 0, compat = 0, autoclear = 0;
        var refcountOrder = 4;
        var headerLength = V2Length;
        byte compressionType = 0;
        if (version == 3)
        {
            if (b.Length < V3MinLength || fileLength < V3MinLength)
            {
                throw Qcow2Error.Make(path, ImageError.Truncated, $"file is {fileLength} bytes, shorter than the {V3MinLength}-byte qcow2 v3 header");
            }
            incompat = BinaryPrimitives.ReadUInt64BigEndian(b[72..]);
            compat = BinaryPrimitives.ReadUInt64BigEndian(b[80..]);
            autoclear = BinaryPrimitives.ReadUInt64BigEndian(b[88..]);
            var order = BinaryPrimitives.ReadUInt32BigEndian(b[96..]);
            if (order > MaxRefcountOrder)
            {
                throw Qcow2Error.Make(path, ImageError.BadHeader, $"refcount_order {order} is above {MaxRefcountOrder} (64-bit refcounts)");
            }
            refcountOrder = (int)order;
            var hl = BinaryPrimitives.ReadUInt32BigEndian(b[100..]);
            if (hl < V3MinLength || hl > cs)
            {
                throw Qcow2Error.Make(path, ImageError.BadHeader, $"header_length {hl} is outside {V3MinLength}..{cs} (the first cluster)");
            }
            if (hl > fileLength)
            {
                throw Qcow2Error.Make(path, ImageError.Truncated, $"header_length {hl} is past the end of the file ({fileLength} bytes)");
            }
            headerLength = (int)hl;
            if (headerLength > 104)
            {
                if (b.Length < 105)
                {
                    throw Qcow2Error.Make(path, ImageError.Truncated, "header ends before compression_type");
                }
                compressionType = b[104];
            }
        }
        var backingOffset = BinaryPrimitives.ReadUInt64BigEndian(b[8..]);
        var backingSize = BinaryPrimitives.ReadUInt32BigEndian(b[16..]);
        if (backingOffset != 0)
        {
            if (backingSize > MaxBackingNameBytes)
            {
                throw Qcow2Error.Make(path, ImageError.BadHeader, $"backing file name is {backingSize} bytes, above the limit of {MaxBackingNameBytes}");
            }
            if (backingOffset > (ulong)cs || backingOffset + backingSize > (ulong)cs)
            {
                throw Qcow2Error.Make(path, ImageError.PointerOutOfRange,
                    $"backing file name at {backingOffset} (+{backingSize}) lies outside the first cluster ({cs} bytes)");
            }
            if ((long)(backingOffset + backingSize) > fileLength)
            {
                throw Qcow2Error.Make(path, ImageError.Truncated, $"backing file name at {backingOffset} (+{backingSize}) is past the end of the file ({fileLength} bytes)");
            }
        }
        else
        {
            backingSize = 0;
        }
        var crypt = BinaryPrimitives.ReadUInt32BigEndian(b[32..]);
        var l1Size = BinaryPrimitives.ReadUInt32BigEndian(b[36..]);
        var l1Offset = BinaryPrimitives.ReadUInt64BigEndian(b[40..]);
        var rtOffset = BinaryPrimitives.ReadUInt64BigEndian(b[48..]);
        var rtClusters = BinaryPrimitives.ReadUInt32BigEndian(b[56..]);
        var nbSnapshots = BinaryPrimitives.ReadUInt32BigEndian(b[60..]);
        var snapOffset = BinaryPrimitives.ReadUInt64BigEndian(b[64..]);
        CheckTableOffset(path, "L1 table", l1Offset, cs);
        CheckTableOffset(path, "refcount table", rtOffset, cs);
        if (nbSnapshots > MaxSnapshots)
        {
            throw Qcow2Error.Make(path, ImageError.SizeOutOfRange, $"{nbSnapshots} snapshots is above the limit of {MaxSnapshots}");
        }
        if (nbSnapshots > 0)
        {
            CheckTableOffset(path, "snapshot table", snapOffset, cs);
        }
        var header = new Qcow2Header
        {
            Version = (int)version,
            BackingFileOffset = (long)backingOffset,
            BackingFileSize = (int)backingSize,
            ClusterBits = (int)clusterBits,
            Size = (long)size,
            CryptMethod = crypt,
            L1Size = l1Size,
            L1TableOffset = (long)l1Offset,
            RefcountTableOffset = (long)rtOffset,
            RefcountTableClusters = rtClusters,
            NbSnapshots = nbSnapshots,
            SnapshotsOffset = nbSnapshots > 0 ? (long)snapOffset : 0,
            IncompatibleFeatures = incompat,
            CompatibleFeatures = compat,
            AutoclearFeatures = autoclear,
            RefcountOrder = refcountOrder,
            HeaderLength = headerLength,
            CompressionType = compressionType,
        };
        if (header.ExtendedL2 && header.ClusterBits < MinExtendedL2ClusterBits)
        {
            throw Qcow2Error.Make(path, ImageError.BadHeader,
                $"extended L2 entries need clusters of at least {1 << MinExtendedL2ClusterBits} bytes, this image has {cs}");
        }
        var needed = header.L1EntriesNeeded;
        if (l1Size < needed)
        {
            throw Qcow2Error.Make(path, ImageError.BadHeader, $"L1 table has {l1Size} entries but the virtual size {size} needs {needed}");
        }
        var l1Bytes = (long)l1Size * 8;
        if (l1Bytes > ImageLimits.MaxTableBytes)
        {
            throw Qcow2Error.Make(path, ImageError.SizeOutOfRange, $"L1 table of {l1Size} entries ({l1Bytes} bytes) exceeds the limit of {ImageLimits.MaxTableBytes} bytes");
        }
        if (l1Bytes > 0 && (l1Offset > (ulong)fileLength || (long)l1Offset + l1Bytes > fileLength))
        {
            throw Qcow2Error.Make(path, ImageError.PointerOutOfRange,
                $"L1 table at {l1Offset} ({l1Bytes} bytes) extends past the end of the file ({fileLength} bytes)");
        }
        if ((long)rtClusters << (int)clusterBits > ImageLimits.MaxTableBytes)
        {
            throw Qcow2Error.Make(path, ImageError.SizeOutOfRange,
                $"refcount table of {rtClusters} clusters exceeds the limit of {ImageLimits.MaxTableBytes} bytes");
        }
        return header;
    }

    private static void CheckTableOffset(string path, string what, ulong offset, long clusterSize)
    {
        if ((offset & (ulong)(clusterSize - 1)) != 0)
        {
            throw Qcow2Error.Make(path, ImageError.PointerOutOfRange, $"{what} offset {offset} is not aligned to the cluster size {clusterSize}");
        }
        if (offset > (ulong)ImageLimits.MaxVirtualSize)
        {
            throw Qcow2Error.Make(path, ImageError.PointerOutOfRange, $"{what} offset {offset} is beyond any possible file");
        }
    }

    /// <summary>
    /// Refuses images using features we do not implement, naming the feature (from the image's own
    /// feature name table when it has one).
    /// </summary>
    public void CheckFeatures(string path, Qcow2Extensions ext)
    {
        if (CryptMethod != 0)
        {
            var kind = CryptMethod switch { 1 => "AES", 2 => "LUKS", _ => "unknown" };
            throw Qcow2Error.Make(path, ImageError.Unsupported, $"encryption (crypt_method={CryptMethod}, {kind}) is not supported");
        }
        if ((IncompatibleFeatures & IncompatDataFile) != 0)
        {
            var name = ext.DataFileName is { } n ? $" '{n}'" : "";
            throw Qcow2Error.Make(path, ImageError.Unsupported, $"external data file{name} (incompatible feature bit 2) is not supported");
        }
        var unknown = IncompatibleFeatures & ~IncompatKnown;
        if (unknown != 0)
        {
            var names = new List<string>();
            for (var bit = 0; bit < 64; bit++)
            {
                if ((unknown & (1UL << bit)) != 0)
                {
                    names.Add(ext.FeatureName(0, bit) is { } n ? $"bit {bit} '{n}'" : $"bit {bit}");
                }
            }
            throw Qcow2Error.Make(path, ImageError.Unsupported, $"unknown incompatible features: {string.Join(", ", names)}");
        }
        var flagged = (IncompatibleFeatures & IncompatCompression) != 0;
        if (flagged && CompressionType == CompressionZlib)
        {
            throw Qcow2Error.Make(path, ImageError.BadHeader, "compression type bit is set but compression_type is 0 (zlib)");
        }
        if (!flagged && CompressionType != CompressionZlib)
        {
            throw Qcow2Error.Make(path, ImageError.BadHeader, $"compression_type {CompressionType} is set without the compression type feature bit");
        }
        if (CompressionType == CompressionZstd)
        {
            throw Qcow2Error.Make(path, ImageError.Unsupported, "zstd compression (compression_type=1) is not supported");
        }
        if (CompressionType != CompressionZlib)
        {
            throw Qcow2Error.Make(path, ImageError.Unsupported, $"unknown compression type {CompressionType}");
        }
    }

    /// <summary>Writes a version 3 header (112 bytes, compression zlib) into <paramref name="b"/>.</summary>
    public void WriteV3(Span<byte> b)
    {
        b[..V3WrittenLength].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(b, Magic);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], 3);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], (ulong)BackingFileOffset);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], (uint)BackingFileSize);
        BinaryPrimitives.WriteUInt32BigEndian(b[20..], (uint)ClusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(b[24..], (ulong)Size);
        BinaryPrimitives.WriteUInt32BigEndian(b[32..], CryptMethod);
        BinaryPrimitives.WriteUInt32BigEndian(b[36..], L1Size);
        BinaryPrimitives.WriteUInt64BigEndian(b[40..], (ulong)L1TableOffset);
        BinaryPrimitives.WriteUInt64BigEndian(b[48..], (ulong)RefcountTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(b[56..], RefcountTableClusters);
        BinaryPrimitives.WriteUInt32BigEndian(b[60..], NbSnapshots);
        BinaryPrimitives.WriteUInt64BigEndian(b[64..], (ulong)SnapshotsOffset);
        BinaryPrimitives.WriteUInt64BigEndian(b[72..], IncompatibleFeatures);
        BinaryPrimitives.WriteUInt64BigEndian(b[80..], CompatibleFeatures);
        BinaryPrimitives.WriteUInt64BigEndian(b[88..], AutoclearFeatures);
        BinaryPrimitives.WriteUInt32BigEndian(b[96..], (uint)RefcountOrder);
        BinaryPrimitives.WriteUInt32BigEndian(b[100..], V3WrittenLength);
        b[104] = CompressionType;
    }
}
