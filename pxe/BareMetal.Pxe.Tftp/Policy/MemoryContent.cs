namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>Content held in memory: virtual files, cached small files, netascii conversions.</summary>
public sealed class MemoryContent(ReadOnlyMemory<byte> bytes) : ITftpContent
{
    public long Length => bytes.Length;

    public int Read(long offset, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= bytes.Length)
        {
            return 0;
        }
        var n = (int)Math.Min(destination.Length, bytes.Length - offset);
        bytes.Span.Slice((int)offset, n).CopyTo(destination);
        return n;
    }

    public void Dispose()
    {
    }
}
