using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Compression;

namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>
/// The two-level map of one sparse extent: the grain directory (GD, read whole at open) points to grain
/// tables (GT, 512 u32 sector offsets each, read on demand and cached); a grain table entry (GTE) is
/// 0 = unallocated, 1 = zeroed grain (when the header allows it), else the grain's first sector.
/// Thread-safe: the directory is immutable and the table cache is concurrent.
/// </summary>
internal sealed class VmdkGrainDirectory
{
    /// <summary>Grain tables kept in memory (each at most 2 KiB: at most 8 MiB per extent).</summary>
    private const int MaxCachedTables = 4096;

    /// <summary>GTE meaning "grain reads as zeros" when <see cref="VmdkSparseHeader.FlagZeroedGrain"/> is set.</summary>
    private const uint GteZeroed = 1;

    private readonly uint[] _gd;
    private readonly ConcurrentDictionary<long, uint[]> _tables = new();
    private readonly VmdkGrainCache _grains = new();

    public VmdkGrainDirectory(FileSource file, VmdkSparseHeader header, uint[] gd)
    {
        File = file;
        Header = header;
        _gd = gd;
    }

    public FileSource File { get; }
    public VmdkSparseHeader Header { get; }
    public long GrainBytes => Header.GrainBytes;

    /// <summary>Opens a sparse extent: its header (or footer), and its grain directory.</summary>
    public static VmdkGrainDirectory Open(FileSource file)
    {
        Span<byte> sector = stackalloc byte[VmdkSparseHeader.Size];
        var got = file.ReadAtMost(0, sector);
        var header = VmdkSparseHeader.Parse(sector[..got], file.Length, file.Path);
        if (header.GdInFooter)
        {
            header = ReadFooter(file, header);
        }
        var entries = (int)header.GdEntries;
        var gd = new uint[entries];
        if (entries > 0)
        {
            var bytes = new byte[entries * 4];
            file.ReadExactlyOrZero((long)header.GdOffset * VmdkSparseHeader.SectorSize, bytes);
            for (var i = 0; i < entries; i++)
            {
                gd[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
            }
        }
        return new VmdkGrainDirectory(file, header, gd);
    }

    /// <summary>
    /// streamOptimized: the header at the start says gdOffset = "at end"; the real one is the footer:
    /// [footer marker sector][footer header sector][end-of-stream marker sector] at end - 1536.
    /// </summary>
    private static VmdkSparseHeader ReadFooter(FileSource file, VmdkSparseHeader first)
    {
        const int tail = 3 * VmdkSparseHeader.SectorSize;
        if (file.Length < tail + VmdkSparseHeader.Size)
        {
            throw Error(file, ImageError.Truncated, $"grain directory is in the footer but the file has only {file.Length} bytes");
        }
        var buf = new byte[tail];
        file.ReadExactlyOrZero(file.Length - tail, buf);
        var footerMarker = VmdkMarker.Parse(buf, file.Path);
        var eos = VmdkMarker.Parse(buf.AsSpan(2 * VmdkSparseHeader.SectorSize), file.Path);
        if (footerMarker.Type != VmdkMarkerType.Footer || eos.Type != VmdkMarkerType.EndOfStream)
        {
            throw Error(file, ImageError.BadHeader,
                $"footer markers at {file.Length - tail} are {footerMarker.Type}/{eos.Type}, expected Footer/EndOfStream");
        }
        var footer = VmdkSparseHeader.Parse(buf.AsSpan(VmdkSparseHeader.SectorSize, VmdkSparseHeader.Size), file.Length, file.Path);
        if (footer.GdInFooter)
        {
            throw Error(file, ImageError.BadHeader, "footer header also says the grain directory is at the end");
        }
        if (footer.Capacity != first.Capacity || footer.GrainSize != first.GrainSize || footer.GtesPerGt != first.GtesPerGt)
        {
            throw Error(file, ImageError.BadHeader,
                $"footer (capacity {footer.Capacity}, grain {footer.GrainSize}) disagrees with the header (capacity {first.Capacity}, grain {first.GrainSize})");
        }
        return footer;
    }

    /// <summary>
    /// The state of extent-relative bytes [rel, rel+maxLength), as one run of grains with the same state
    /// (and, for data, contiguous in the file). Host offsets are in this extent's file.
    /// </summary>
    public BlockRun Lookup(long rel, long maxLength)
    {
        var grainBytes = Header.GrainBytes;
        var gtCoverage = Header.GtCoverageBytes;
        var gdIndex = rel / gtCoverage;
        var gtEnd = (gdIndex + 1) * gtCoverage;
        var limit = Math.Min(maxLength, gtEnd - rel);
        var table = Table(gdIndex);
        if (table is null)
        {
            return BlockRun.Unallocated(limit);
        }
        var gtIndex = (int)(rel % gtCoverage / grainBytes);
        var inGrain = rel % grainBytes;
        var first = Classify(table[gtIndex], gdIndex, gtIndex);
        var length = Math.Min(limit, grainBytes - inGrain);
        if (first.State == BlockState.Encoded)
        {
            return new BlockRun(length, BlockState.Encoded, first.HostOffset, File, rel - inGrain);
        }
        // Extend over following grains of the same table while they continue this run.
        var expectHost = first.State == BlockState.Data ? first.HostOffset + grainBytes : -1;
        for (var i = gtIndex + 1; i < table.Length && length < limit; i++)
        {
            var next = Classify(table[i], gdIndex, i);
            if (next.State != first.State || (first.State == BlockState.Data && next.HostOffset != expectHost))
            {
                break;
            }
            length = Math.Min(limit, length + grainBytes);
            expectHost += grainBytes;
        }
        return first.State switch
        {
            BlockState.Data => BlockRun.Data(length, first.HostOffset + inGrain, File),
            BlockState.Zero => BlockRun.Zero(length),
            _ => BlockRun.Unallocated(length),
        };
    }

    private (BlockState State, long HostOffset) Classify(uint gte, long gdIndex, int gtIndex)
    {
        if (gte == 0)
        {
            return (BlockState.Unallocated, -1);
        }
        if (gte == GteZeroed && Header.HasZeroedGrains)
        {
            return (BlockState.Zero, -1);
        }
        var host = (long)gte * VmdkSparseHeader.SectorSize;
        if (host >= File.Length)
        {
            throw Error(File, ImageError.PointerOutOfRange,
                $"grain table {gdIndex} entry {gtIndex} points to sector {gte}, past the end of the file ({File.Length} bytes)");
        }
        return (Header.Compressed ? BlockState.Encoded : BlockState.Data, host);
    }

    private uint[]? Table(long gdIndex)
    {
        if (gdIndex >= _gd.Length)
        {
            // Only reachable when a descriptor gives the extent more sectors than its header: checked at open.
            throw Error(File, ImageError.SizeOutOfRange, $"grain directory has {_gd.Length} entries, entry {gdIndex} wanted");
        }
        var gtSector = _gd[gdIndex];
        if (gtSector == 0)
        {
            return null;
        }
        if (_tables.TryGetValue(gdIndex, out var cached))
        {
            return cached;
        }
        var n = (int)Header.GtesPerGt;
        var host = (long)gtSector * VmdkSparseHeader.SectorSize;
        if (host + (n * 4L) > File.Length)
        {
            throw Error(File, ImageError.PointerOutOfRange,
                $"grain directory entry {gdIndex} points to a grain table at sector {gtSector}, past the end of the file ({File.Length} bytes)");
        }
        var bytes = new byte[n * 4];
        File.ReadExactlyOrZero(host, bytes);
        var table = new uint[n];
        for (var i = 0; i < n; i++)
        {
            table[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
        }
        if (_tables.Count >= MaxCachedTables)
        {
            _tables.Clear();
        }
        _tables[gdIndex] = table;
        return table;
    }

    /// <summary>Grain sectors remembered while looking for grains used twice (4M entries = 32 MiB of set).</summary>
    private const int MaxTrackedGrains = 4 << 20;

    /// <summary>
    /// Deep structural check of this extent (like qemu-img check): every grain table and grain pointer
    /// inside the file and past the metadata, no grain used by two entries. Reports, never throws for
    /// corrupt metadata.
    /// </summary>
    public void Check(CheckReport report, CancellationToken cancellationToken)
    {
        var seen = new HashSet<uint>();
        var n = (int)Header.GtesPerGt;
        var bytes = new byte[n * 4];
        for (var gdIndex = 0; gdIndex < _gd.Length; gdIndex++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var gtSector = _gd[gdIndex];
            if (gtSector == 0)
            {
                continue;
            }
            var gtHost = (long)gtSector * VmdkSparseHeader.SectorSize;
            if (gtHost + bytes.Length > File.Length)
            {
                report.Add(CheckSeverity.Corruption, $"{File.Path}: grain directory entry {gdIndex} points to a grain table at sector {gtSector}, past the end of the file");
                continue;
            }
            File.ReadExactlyOrZero(gtHost, bytes);
            for (var i = 0; i < n; i++)
            {
                var gte = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
                if (gte == 0 || (gte == GteZeroed && Header.HasZeroedGrains))
                {
                    continue;
                }
                if ((long)gte * VmdkSparseHeader.SectorSize >= File.Length)
                {
                    report.Add(CheckSeverity.Corruption, $"{File.Path}: grain table {gdIndex} entry {i} points to sector {gte}, past the end of the file");
                }
                else if (gte < Header.Overhead && !Header.HasMarkers)
                {
                    report.Add(CheckSeverity.Corruption, $"{File.Path}: grain table {gdIndex} entry {i} points to sector {gte}, inside the metadata ({Header.Overhead} sectors)");
                }
                else if (seen.Count < MaxTrackedGrains && !seen.Add(gte))
                {
                    report.Add(CheckSeverity.Corruption, $"{File.Path}: grain at sector {gte} is used by two grain table entries (table {gdIndex} entry {i})");
                }
            }
        }
    }

    /// <summary>The decompressed bytes of the grain stored at <paramref name="host"/> whose guest start is <paramref name="grainStart"/>.</summary>
    public byte[] ReadCompressedGrain(long host, long grainStart)
    {
        if (_grains.Get(host) is { } hit)
        {
            return hit;
        }
        var grainBytes = (int)Header.GrainBytes;
        // Deflate can grow incompressible data a little; a stored grain is never near twice the grain.
        var maxCompressed = (2 * grainBytes) + 1024;
        long dataAt = host;
        int compressedLength;
        if (Header.HasMarkers)
        {
            Span<byte> head = stackalloc byte[VmdkMarker.MetadataSize];
            File.ReadExactlyOrZero(host, head);
            var marker = VmdkMarker.Parse(head, File.Path);
            var expectLba = (ulong)(grainStart / VmdkSparseHeader.SectorSize);
            if (!marker.IsGrain || marker.Value != expectLba)
            {
                throw Error(File, ImageError.BadCompressedData,
                    $"grain marker at {host} says lba {marker.Value} size {marker.Size}, expected lba {expectLba}");
            }
            if (marker.Size > maxCompressed)
            {
                throw Error(File, ImageError.BadCompressedData, $"grain at {host} claims {marker.Size} compressed bytes (grain is {grainBytes})");
            }
            dataAt = host + VmdkMarker.GrainHeaderSize;
            compressedLength = (int)marker.Size;
            if (dataAt + compressedLength > File.Length)
            {
                throw Error(File, ImageError.PointerOutOfRange, $"compressed grain at {host} ({compressedLength} bytes) runs past the end of the file");
            }
        }
        else
        {
            // No marker: the length is not stored; read what can hold it and let inflate stop at its end.
            compressedLength = (int)Math.Min(maxCompressed, File.Length - host);
        }
        var compressed = new byte[compressedLength];
        File.ReadExactlyOrZero(dataAt, compressed);
        var grain = Inflate(compressed, grainBytes, host);
        _grains.Put(host, grain);
        return grain;
    }

    private byte[] Inflate(byte[] compressed, int grainBytes, long host)
    {
        var grain = new byte[grainBytes];
        try
        {
            using var input = new MemoryStream(compressed, writable: false);
            // qemu and VMware write zlib streams (RFC 1950); accept bare deflate (RFC 1951) as the spec words it.
            var zlib = compressed.Length >= 2 && (compressed[0] & 0x0F) == 8 && ((compressed[0] << 8) | compressed[1]) % 31 == 0;
            using Stream inflater = zlib ? new ZLibStream(input, CompressionMode.Decompress) : new DeflateStream(input, CompressionMode.Decompress);
            var done = 0;
            while (done < grainBytes)
            {
                var n = inflater.Read(grain, done, grainBytes - done);
                if (n == 0)
                {
                    break;
                }
                done += n;
            }
            if (done == grainBytes && inflater.ReadByte() >= 0)
            {
                throw Error(File, ImageError.BadCompressedData, $"grain at {host} inflates to more than {grainBytes} bytes");
            }
            if (done != grainBytes)
            {
                throw Error(File, ImageError.BadCompressedData, $"grain at {host} inflates to {done} bytes, expected {grainBytes}");
            }
        }
        catch (Exception e) when (e is InvalidDataException || (e is IOException && e is not ImageFormatException))
        {
            // InvalidDataException for bad deflate data; ZLibException (an IOException) for a bad zlib header.
            throw new ImageFormatException(File.Path, ImageFormat.Vmdk, ImageError.BadCompressedData, $"grain at {host} does not inflate: {e.Message}", e);
        }
        return grain;
    }

    private static ImageFormatException Error(FileSource file, ImageError reason, string problem) =>
        new(file.Path, ImageFormat.Vmdk, reason, problem);
}
