namespace BareMetal.ImageStore.Formats;

/// <summary>
/// A read-only, seekable stream over one file inside an image (ISO 9660, ext, FAT): everything but where
/// the bytes at a position live, which each file system answers in <see cref="ReadRun"/>.
/// </summary>
internal abstract class ReadOnlyFileStream(long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length { get; } = length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>
    /// Fills the start of <paramref name="buffer"/> with the file's bytes at <paramref name="position"/>, up to
    /// the end of the run (extent, block run, cluster run) that holds it; returns how many, at least 1.
    /// 0 &lt;= position &lt; Length and buffer is not longer than Length - position.
    /// </summary>
    protected abstract int ReadRun(long position, Span<byte> buffer);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (buffer.Length > 0 && _position < Length)
        {
            var n = ReadRun(_position, buffer[..(int)Math.Min(buffer.Length, Length - _position)]);
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
