namespace BareMetal.ImageStore.Catalog;

/// <summary>What happened to an image version.</summary>
public enum ImageChangeKind
{
    Imported = 0,
    Updated = 1,
    Deleted = 2,
    /// <summary>Its status changed at open (file missing or found again).</summary>
    StatusChanged = 3,
}
