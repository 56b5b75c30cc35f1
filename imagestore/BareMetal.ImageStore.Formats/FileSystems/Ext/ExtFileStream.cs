namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>A read-only, seekable stream over a file's blocks; holes and uninitialized extents read as zeros.</summary>
internal sealed class ExtFileStream : Stream
{
    private readonly ExtFileSystem _fs;
    private readonly IExtBlockMap _map;
    private long _position;

    public ExtFileStream(ExtFileSystem fs, IExtBlockMap map, long length)
    {
        _fs = fs;
        _map = map;
        Length = length;
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
        var bs = _fs.Superblock.BlockSize;
        var total = 0;
        while (buffer.Length > 0 && _position < Length)
        {
            var logical = _position / bs;
            var within = _position % bs;
            var (physical, count) = _map.Map(logical);
            var runBytes = count > (long.MaxValue / bs) - 1 ? long.MaxValue / 2 : (count * bs) - within;
            var n = (int)Math.Min(Math.Min(buffer.Length, runBytes), Length - _position);
            if (physical == 0)
            {
                buffer[..n].Clear();
            }
            else
            {
                _fs.ReadAt(((long)physical * bs) + within, buffer[..n], "file data");
            }
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
