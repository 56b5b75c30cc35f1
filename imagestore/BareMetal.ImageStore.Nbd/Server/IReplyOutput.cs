namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>Where a connection's bytes go: a socket in production, a stream in tests. Callers serialise sends.</summary>
public interface IReplyOutput
{
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
