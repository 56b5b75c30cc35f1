namespace BareMetal.ImageStore.Formats.Raw;

/// <summary>
/// A raw image: guest byte N is file byte N. Holes in a sparse file are reported as zero runs
/// (SEEK_DATA/SEEK_HOLE), so maps and converts skip them as qemu does.
/// </summary>
public sealed class RawDisk : VirtualDisk
{
    private readonly ImageFormat _format;
    private readonly bool _writable;

    public RawDisk(FileSource file, ImageFormat format = ImageFormat.Raw, bool writable = false)
        : base(file, null)
    {
        _format = format;
        _writable = writable;
    }

    public override ImageFormat Format => _format;

    public override long Length => File.Length;

    public override bool CanWrite => _writable;

    public override ImageDetails Describe() => new()
    {
        Format = _format,
        Path = Path,
        VirtualSize = Length,
        AllocatedSize = AllocatedBytes(File),
        ClusterSize = _format == ImageFormat.Iso ? Iso.IsoFileSystem.SectorSize : null,
        Features = _format == ImageFormat.Iso ? Iso.IsoFileSystem.DescribeFeatures(this) : new Dictionary<string, string>(),
    };

    protected internal override bool TryReadDirect(long offset, Span<byte> dest)
    {
        // Holes read as zeros from the file itself, so the allocation map is not needed to read.
        File.ReadExactlyOrZero(offset, dest);
        return true;
    }

    protected internal override BlockRun Lookup(long offset, long maxLength)
    {
        var dataAt = File.Seek(offset, data: true);
        if (dataAt is null)
        {
            return BlockRun.Data(maxLength, offset);
        }
        if (dataAt.Value > offset)
        {
            return BlockRun.Zero(Math.Min(maxLength, dataAt.Value - offset), offset);
        }
        var holeAt = File.Seek(offset, data: false) ?? offset + maxLength;
        return BlockRun.Data(Math.Clamp(holeAt - offset, 1, maxLength), offset);
    }

    public override void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (!_writable)
        {
            throw ReadOnlyError();
        }
        CheckRange(offset, data.Length);
        File.Write(offset, data);
    }

    public override void Flush()
    {
        if (_writable)
        {
            File.Flush();
        }
    }

    /// <summary>Bytes the file system holds for a file, from its data extents (like du).</summary>
    public static long AllocatedBytes(FileSource file)
    {
        ArgumentNullException.ThrowIfNull(file);
        long total = 0;
        long pos = 0;
        var len = file.Length;
        while (pos < len)
        {
            var data = file.Seek(pos, data: true);
            if (data is null)
            {
                return len;
            }
            if (data.Value >= len)
            {
                break;
            }
            var hole = file.Seek(data.Value, data: false) ?? len;
            total += hole - data.Value;
            pos = hole;
        }
        return total;
    }
}
