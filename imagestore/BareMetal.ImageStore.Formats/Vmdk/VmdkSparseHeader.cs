using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>
/// The 512-byte SparseExtentHeader that starts every hosted sparse extent ("Virtual Disk Format 5.0",
/// section "Hosted Sparse Extent Header"). Little-endian, packed. All sector counts are 512-byte sectors.
/// </summary>
public readonly record struct VmdkSparseHeader(
    uint Version,
    uint Flags,
    ulong Capacity,
    ulong GrainSize,
    ulong DescriptorOffset,
    ulong DescriptorSize,
    uint GtesPerGt,
    ulong RedundantGdOffset,
    ulong GdOffset,
    ulong Overhead,
    ushort CompressAlgorithm)
{
    /// <summary>Size of the header on disk (one sector).</summary>
    public const int Size = 512;

    /// <summary>Bytes per sector: every offset and count in the header is in these units.</summary>
    public const int SectorSize = 512;

    /// <summary>"KDMV" read as a little-endian u32 (the bytes 'K','D','M','V').</summary>
    public const uint Magic = 0x564d444b;

    /// <summary>Flag bit 0: the four line-end characters below are valid and must be checked.</summary>
    public const uint FlagValidNewLineTest = 1u << 0;

    /// <summary>Flag bit 1: a redundant grain directory exists at <see cref="RedundantGdOffset"/>.</summary>
    public const uint FlagRedundantGrainTable = 1u << 1;

    /// <summary>Flag bit 2: a grain table entry of 1 means "grain reads as zeros" (qemu's VMDK4_FLAG_ZERO_GRAIN).</summary>
    public const uint FlagZeroedGrain = 1u << 2;

    /// <summary>Flag bit 16: grains are compressed (streamOptimized).</summary>
    public const uint FlagCompressed = 1u << 16;

    /// <summary>Flag bit 17: grains and metadata are preceded by stream markers.</summary>
    public const uint FlagMarkers = 1u << 17;

    /// <summary>gdOffset value meaning "the real header is the footer at the end of the file" (streamOptimized).</summary>
    public const ulong GdAtEnd = 0xFFFFFFFFFFFFFFFF;

    /// <summary>compressAlgorithm 1: deflate (qemu and VMware write zlib streams).</summary>
    public const ushort CompressDeflate = 1;

    /// <summary>Largest grain accepted: 2^21 sectors = 1 GiB (qemu's limit in vmdk_add_extent).</summary>
    public const ulong MaxGrainSectors = 1UL << 21;

    /// <summary>Largest compressed grain: its decoded copy is held in memory, so keep it to 2 MiB.</summary>
    public const ulong MaxCompressedGrainSectors = 1UL << 12;

    /// <summary>Entries per grain table: VMware always writes 512; qemu refuses more.</summary>
    public const uint MaxGtesPerGt = 512;

    public bool Compressed => (Flags & FlagCompressed) != 0;
    public bool HasMarkers => (Flags & FlagMarkers) != 0;
    public bool HasZeroedGrains => (Flags & FlagZeroedGrain) != 0;
    public bool HasRedundantGd => (Flags & FlagRedundantGrainTable) != 0;
    public bool GdInFooter => GdOffset == GdAtEnd;

    public long GrainBytes => checked((long)GrainSize * SectorSize);
    public long CapacityBytes => checked((long)Capacity * SectorSize);

    /// <summary>Guest bytes covered by one grain table.</summary>
    public long GtCoverageBytes => checked(GrainBytes * GtesPerGt);

    /// <summary>Number of grain directory entries needed to cover the capacity.</summary>
    public long GdEntries => CapacityBytes == 0 ? 0 : ((CapacityBytes - 1) / GtCoverageBytes) + 1;

    /// <summary>
    /// Parses and validates a header. Pure: no I/O. <paramref name="fileLength"/> bounds every pointer
    /// except the grain directory when it lives in the footer (the caller re-parses the footer).
    /// </summary>
    public static VmdkSparseHeader Parse(ReadOnlySpan<byte> sector, long fileLength, string? path)
    {
        if (sector.Length < Size)
        {
            throw Error(path, ImageError.Truncated, $"sparse header needs {Size} bytes, the file has {sector.Length}");
        }
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(sector);
        if (magic != Magic)
        {
            throw Error(path, ImageError.BadHeader, $"sparse header magic is 0x{magic:x8}, expected 0x{Magic:x8} (\"KDMV\")");
        }
        var h = new VmdkSparseHeader(
            Version: BinaryPrimitives.ReadUInt32LittleEndian(sector[4..]),
            Flags: BinaryPrimitives.ReadUInt32LittleEndian(sector[8..]),
            Capacity: BinaryPrimitives.ReadUInt64LittleEndian(sector[12..]),
            GrainSize: BinaryPrimitives.ReadUInt64LittleEndian(sector[20..]),
            DescriptorOffset: BinaryPrimitives.ReadUInt64LittleEndian(sector[28..]),
            DescriptorSize: BinaryPrimitives.ReadUInt64LittleEndian(sector[36..]),
            GtesPerGt: BinaryPrimitives.ReadUInt32LittleEndian(sector[44..]),
            RedundantGdOffset: BinaryPrimitives.ReadUInt64LittleEndian(sector[48..]),
            GdOffset: BinaryPrimitives.ReadUInt64LittleEndian(sector[56..]),
            Overhead: BinaryPrimitives.ReadUInt64LittleEndian(sector[64..]),
            // 72: uncleanShutdown (u8); 73..76: '\n', ' ', '\r', '\n' line-end test characters.
            CompressAlgorithm: BinaryPrimitives.ReadUInt16LittleEndian(sector[77..]));
        if (h.Version is < 1 or > 3)
        {
            throw Error(path, ImageError.Unsupported, $"sparse header version {h.Version} (only 1, 2 and 3 exist)");
        }
        // A header copied in text mode (FTP ASCII) has its line ends rewritten: VMware's own detector.
        if ((h.Flags & FlagValidNewLineTest) != 0 &&
            (sector[73] != (byte)'\n' || sector[74] != (byte)' ' || sector[75] != (byte)'\r' || sector[76] != (byte)'\n'))
        {
            throw Error(path, ImageError.BadHeader, "line-end test characters are altered (the file was copied in text mode)");
        }
        if (h.Capacity > (ulong)(ImageLimits.MaxVirtualSize / SectorSize))
        {
            throw Error(path, ImageError.SizeOutOfRange, $"capacity {h.Capacity} sectors exceeds the {ImageLimits.MaxVirtualSize} byte limit");
        }
        if (h.GrainSize == 0 || (h.GrainSize & (h.GrainSize - 1)) != 0 || h.GrainSize > MaxGrainSectors)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"grain size {h.GrainSize} sectors is not a power of two between 1 and {MaxGrainSectors}");
        }
        if (h.GtesPerGt == 0 || h.GtesPerGt > MaxGtesPerGt)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"{h.GtesPerGt} entries per grain table (1 to {MaxGtesPerGt} allowed)");
        }
        if (h.Compressed)
        {
            if (h.CompressAlgorithm != CompressDeflate)
            {
                throw Error(path, ImageError.Unsupported, $"compression algorithm {h.CompressAlgorithm} (only 1 = deflate exists)");
            }
            if (h.GrainSize > MaxCompressedGrainSectors)
            {
                throw Error(path, ImageError.SizeOutOfRange, $"compressed grain of {h.GrainSize} sectors exceeds {MaxCompressedGrainSectors}");
            }
        }
        if (h.DescriptorSize > 0)
        {
            if (h.DescriptorSize > (ulong)(ImageLimits.MaxDescriptorBytes / SectorSize))
            {
                throw Error(path, ImageError.SizeOutOfRange, $"embedded descriptor of {h.DescriptorSize} sectors exceeds {ImageLimits.MaxDescriptorBytes} bytes");
            }
            CheckInFile(path, "embedded descriptor", h.DescriptorOffset, h.DescriptorSize * SectorSize, fileLength);
        }
        if (!h.GdInFooter)
        {
            h.CheckGrainDirectory(path, fileLength);
        }
        return h;
    }

    /// <summary>Checks that the grain directory (and its redundant copy) fits the limits and the file.</summary>
    public void CheckGrainDirectory(string? path, long fileLength)
    {
        var bytes = checked(GdEntries * 4);
        if (bytes > ImageLimits.MaxTableBytes)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"grain directory of {GdEntries} entries exceeds {ImageLimits.MaxTableBytes} bytes");
        }
        if (bytes == 0)
        {
            return;
        }
        if (GdOffset == 0)
        {
            throw Error(path, ImageError.PointerOutOfRange, "grain directory offset is 0 (inside the header)");
        }
        CheckInFile(path, "grain directory", GdOffset, (ulong)bytes, fileLength);
    }

    private static void CheckInFile(string? path, string what, ulong sectorOffset, ulong bytes, long fileLength)
    {
        if (sectorOffset > (ulong)(long.MaxValue / SectorSize) || (long)sectorOffset * SectorSize > fileLength ||
            bytes > (ulong)(fileLength - ((long)sectorOffset * SectorSize)))
        {
            throw Error(path, ImageError.PointerOutOfRange,
                $"{what} at sector {sectorOffset} ({bytes} bytes) lies past the end of the file ({fileLength} bytes)");
        }
    }

    private static ImageFormatException Error(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Vmdk, reason, problem);
}
