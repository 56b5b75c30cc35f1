namespace BareMetal.ImageStore.Formats.FileSystems.Fat;

/// <summary>A read-only, seekable stream over a file's cluster runs (checked when the file was opened).</summary>
internal sealed class FatFileStream : Stream
{
    private readonly FatFileSystem _fs;
    private readonly List<(uint First, uint Count)> _runs;
    private long _position;

    public FatFileStream(FatFileSystem fs, List<(uint First, uint Count)> runs, long length)
    {
        _fs = fs;
        _runs = runs;
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
        var cb = _fs.Boot.ClusterBytes;
        var total = 0;
        while (buffer.Length > 0 && _position < Length)
        {
            var skip = _position;
            var run = (First: 0u, Count: 0u);
            foreach (var r in _runs)
            {
                var bytes = r.Count * cb;
                if (skip < bytes)
                {
                    run = r;
                    break;
                }
                skip -= bytes;
            }
            var clusterIndex = skip / cb;
            var n = (int)Math.Min(Math.Min(buffer.Length, (run.Count * cb) - skip), Length - _position);
            _fs.ReadCluster((uint)(run.First + clusterIndex), skip % cb, buffer[..n], "file data");
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
