using System.Net.Sockets;

namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>Sends straight from the reply buffer to the socket: no stream or pipe copy in between.</summary>
public sealed class SocketReplyOutput(Socket socket) : IReplyOutput
{
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var n = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[n..];
        }
    }
}
