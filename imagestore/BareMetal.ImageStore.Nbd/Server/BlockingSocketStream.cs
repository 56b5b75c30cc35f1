using System.Net.Sockets;

namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>
/// A stream over a socket that only ever makes blocking calls, even from ReadAsync/WriteAsync (they
/// complete synchronously). Once .NET has run one async operation on a socket it switches the descriptor
/// to non-blocking for good, and every later synchronous call is emulated by parking on an event that the
/// epoll thread sets: a futex, a spin and an epoll wake-up per receive. A connection that owns a thread
/// avoids all of that by never going async. Closing is done from outside with Shutdown.
/// </summary>
internal sealed class BlockingSocketStream(Socket socket) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => socket.Receive(buffer, SocketFlags.None);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Read(buffer.Span));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            buffer = buffer[socket.Send(buffer, SocketFlags.None)..];
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
