namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>A read-only, seekable stream over one file's extents (joined in order).</summary>
internal sealed class IsoFileStream : Stream
{
    private readonly VirtualDisk _disk;
    private readonly IsoEntry _entry;
    private readonly int _blockSize;
    private long _position;

    public IsoFileStream(VirtualDisk disk, IsoEntry entry, int blockSize)
    {
        _disk = disk;
        _entry = entry;
        _blockSize = blockSize;
        Length = entry.Size;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (buffer.Length > 0 && _position < Length)
        {
            // Find the extent holding _position (files have few extents).
            long skip = _position;
            IsoExtent extent = default;
            foreach (var e in _entry.Extents)
            {
                if (skip < e.Length)
                {
                    extent = e;
                    break;
                }
                skip -= e.Length;
            }
            var n = (int)Math.Min(buffer.Length, extent.Length - skip);
            _disk.Read(((long)extent.Lba * _blockSize) + skip, buffer[..n]);
            buffer = buffer[n..];
            _position += n;
            total += n;
        }
        return total;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
