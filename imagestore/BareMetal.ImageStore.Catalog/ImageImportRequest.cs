namespace BareMetal.ImageStore.Catalog;

/// <summary>What the user says about an image being imported.</summary>
/// <param name="Name">See <see cref="ImageNames"/>. An existing name gets the next version.</param>
/// <param name="OsLabel">Free text up to <see cref="CatalogLimits.MaxOsLabelLength"/> characters.</param>
/// <param name="Notes">Free text up to <see cref="CatalogLimits.MaxNotesLength"/> characters.</param>
public sealed record ImageImportRequest(string Name, string? OsLabel = null, string? Notes = null);
