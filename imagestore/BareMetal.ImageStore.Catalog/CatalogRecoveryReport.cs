namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// What opening the catalog repaired after a crash or a hand edit (see
/// <see cref="ImageCatalog.ReconcileAsync"/>). Empty lists = nothing was wrong.
/// </summary>
/// <param name="PartialUploadsRemoved">Leftover data/images/.incoming/*.part files deleted (uploads that never committed).</param>
/// <param name="OrphanFilesMoved">Catalog-named files with no row (a crash between rename and commit), moved to data/images/.orphans.</param>
/// <param name="MissingImages">Rows whose file is gone, now marked <see cref="CatalogImageStatus.Missing"/>.</param>
/// <param name="FoundAgain">Rows marked Missing before whose file is back, now Ready again.</param>
public sealed record CatalogRecoveryReport(
    IReadOnlyList<string> PartialUploadsRemoved,
    IReadOnlyList<string> OrphanFilesMoved,
    IReadOnlyList<string> MissingImages,
    IReadOnlyList<string> FoundAgain)
{
    public bool IsClean => PartialUploadsRemoved.Count == 0 && OrphanFilesMoved.Count == 0 && MissingImages.Count == 0 && FoundAgain.Count == 0;
}
