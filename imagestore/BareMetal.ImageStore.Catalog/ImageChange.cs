namespace BareMetal.ImageStore.Catalog;

/// <summary>A committed change to the catalog, raised after the transaction (for the live change feed).</summary>
public sealed record ImageChange(ImageChangeKind Kind, CatalogImage Image);
