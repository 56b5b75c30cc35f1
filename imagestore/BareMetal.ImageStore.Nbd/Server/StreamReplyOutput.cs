namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>Sends to a stream (in-memory pipes in tests, or any duplex stream).</summary>
public sealed class StreamReplyOutput(Stream stream) : IReplyOutput
{
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(data, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }
}
