using System.Net.Sockets;

namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>
/// Sends straight from the reply buffer to the socket with blocking calls (no stream or pipe copy in
/// between, and the socket never turns non-blocking: see <see cref="BlockingSocketStream"/>). The
/// returned task is always complete; the connection's own thread pays for the wait.
/// </summary>
public sealed class SocketReplyOutput(Socket socket) : IReplyOutput
{
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var span = data.Span;
        while (!span.IsEmpty)
        {
            span = span[socket.Send(span, SocketFlags.None)..];
        }
        return ValueTask.CompletedTask;
    }
}
