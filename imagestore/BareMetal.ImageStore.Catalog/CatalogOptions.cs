namespace BareMetal.ImageStore.Catalog;

/// <summary>Where the catalog keeps its files and how large an import may be.</summary>
public sealed record CatalogOptions
{
    /// <summary>The data directory; images live in its "images" folder.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Largest image file accepted (bytes). Default 1 TiB.</summary>
    public long MaxImageBytes { get; init; } = 1L << 40;

    /// <summary>Clock for import timestamps.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public string ImagesDirectory => Path.Combine(DataDirectory, ImagesFolder);

    /// <summary>Uploads in progress: "*.part" files, swept at start-up.</summary>
    public string IncomingDirectory => Path.Combine(ImagesDirectory, ".incoming");

    /// <summary>Catalog-named files found without a row at start-up are moved here, not deleted.</summary>
    public string OrphansDirectory => Path.Combine(ImagesDirectory, ".orphans");

    /// <summary>Folder of the images under the data directory.</summary>
    public const string ImagesFolder = "images";
}
