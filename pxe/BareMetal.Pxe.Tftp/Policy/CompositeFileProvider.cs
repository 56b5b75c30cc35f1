namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>Asks providers in order; the first answer other than "file not found" wins (a refusal stops the search).</summary>
public sealed class CompositeFileProvider(params IReadOnlyList<ITftpFileProvider> providers) : ITftpFileProvider
{
    public TftpOpenResult Open(TftpFileRequest request)
    {
        var last = TftpOpenResult.NotFound();
        foreach (var p in providers)
        {
            var r = p.Open(request);
            if (!r.IsNotFound)
            {
                return r;
            }
            last = r;
        }
        return last;
    }
}
