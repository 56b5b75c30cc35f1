using System.Buffers;

namespace BareMetal.ImageStore.Nbd.Session;

/// <summary>
/// The complete bytes of one reply (headers and data, one send) in a pooled array. The owner returns
/// the array with <see cref="Dispose"/> once it is sent (or the connection died).
/// </summary>
public sealed class PooledReply : IDisposable
{
    private byte[]? _buffer;

    public PooledReply(int length)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        Length = length;
    }

    public int Length { get; private set; }

    public Memory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledReply))).AsMemory(0, Length);

    public Span<byte> Span => Memory.Span;

    /// <summary>The reply as an array segment, for gathered socket sends.</summary>
    public ArraySegment<byte> Segment => new(_buffer ?? throw new ObjectDisposedException(nameof(PooledReply)), 0, Length);

    /// <summary>Shrinks the reply when fewer bytes were written than reserved.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref _buffer, null);
        if (b is not null)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
