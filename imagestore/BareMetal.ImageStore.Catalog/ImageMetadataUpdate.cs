namespace BareMetal.ImageStore.Catalog;

/// <summary>A change to the editable fields of an image version; null leaves a field as it is.</summary>
public sealed record ImageMetadataUpdate(string? OsLabel = null, string? Notes = null);
