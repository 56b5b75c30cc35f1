namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>
/// Files made on request by a callback (per-node configs, generated scripts). The callback gets the
/// normalized path (see <see cref="TftpPath"/>) and returns the bytes, or null for "not mine"
/// (a byte array, not a ReadOnlyMemory: a null array silently converts to an empty memory).
/// </summary>
public sealed class VirtualFileProvider(Func<TftpFileRequest, byte[]?> resolve) : ITftpFileProvider
{
    public TftpOpenResult Open(TftpFileRequest request)
    {
        if (!TftpPath.TryNormalize(request.Path, out var relative, out var reason))
        {
            return TftpOpenResult.Denied(reason);
        }
        return resolve(request with { Path = relative }) is { } bytes
            ? TftpOpenResult.Of(new MemoryContent(bytes))
            : TftpOpenResult.NotFound();
    }
}
