namespace BareMetal.ImageStore.Catalog;

/// <summary>State of a catalog row. Persisted: never renumber.</summary>
public enum CatalogImageStatus
{
    /// <summary>The file is where the row says.</summary>
    Ready = 0,

    /// <summary>
    /// The row's file was not found when the catalog opened (deleted by hand, a lost disk). Kept, not
    /// dropped, so the user sees what went and nodes assigned to it are not silently re-pointed.
    /// </summary>
    Missing = 1,
}
