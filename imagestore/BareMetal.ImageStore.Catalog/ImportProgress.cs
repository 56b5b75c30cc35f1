namespace BareMetal.ImageStore.Catalog;

/// <summary>Progress of one import, reported at most every <see cref="CatalogLimits.ProgressStepBytes"/> bytes and at each phase change.</summary>
/// <param name="Phase">What the import is doing.</param>
/// <param name="Bytes">Bytes received so far.</param>
/// <param name="TotalBytes">Expected total when known (a file's length, an upload's Content-Length).</param>
public sealed record ImportProgress(ImportPhase Phase, long Bytes, long? TotalBytes)
{
    /// <summary>0..100 when the total is known.</summary>
    public double? Percent => TotalBytes is { } t && t > 0 ? Math.Min(100.0, 100.0 * Bytes / t) : null;
}
