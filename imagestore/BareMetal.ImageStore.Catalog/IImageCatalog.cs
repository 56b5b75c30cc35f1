namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// The image catalog: named, versioned disk images at rest in data/images with their metadata in the
/// database. Every method is safe to call concurrently. Refusals are <see cref="CatalogException"/>s.
/// </summary>
public interface IImageCatalog
{
    /// <summary>Every version of every image (or of <paramref name="name"/>), by name then newest version first.</summary>
    Task<IReadOnlyList<CatalogImage>> ListAsync(string? name = null, CancellationToken cancellationToken = default);

    /// <summary>A version of an image; <paramref name="version"/> null = the newest. Null when absent.</summary>
    Task<CatalogImage?> GetAsync(string name, int? version = null, CancellationToken cancellationToken = default);

    /// <summary>An image version by its id; null when absent.</summary>
    Task<CatalogImage?> GetByIdAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Imports a file by copying it (the source is left alone). See <see cref="ImportStreamAsync"/>.</summary>
    Task<CatalogImage> ImportFileAsync(string path, ImageImportRequest request, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams <paramref name="content"/> to data/images/.incoming/*.part while computing SHA-256, probes
    /// and checks the format (a corrupt image or one with a backing file is refused with the format's
    /// one-line message), then renames it into place and inserts its row in one transaction: the image
    /// is visible complete or not at all. A failed, cancelled or killed import leaves nothing visible
    /// (leftovers are swept when the catalog next opens). An existing name gets version N+1.
    /// </summary>
    /// <param name="length">Expected length (Content-Length) when known: a shorter stream is a cut-off upload.</param>
    Task<CatalogImage> ImportStreamAsync(Stream content, long? length, ImageImportRequest request, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Changes the OS label and/or notes of one version; returns the updated image.</summary>
    Task<CatalogImage> UpdateAsync(string name, int version, ImageMetadataUpdate update, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes one version, or every version when <paramref name="version"/> is null. Throws
    /// <see cref="ImageInUseException"/> while a node is assigned to it and
    /// <see cref="ImageNotFoundException"/> when there is nothing to delete. Returns the deleted versions.
    /// </summary>
    Task<IReadOnlyList<CatalogImage>> DeleteAsync(string name, int? version = null, CancellationToken cancellationToken = default);

    /// <summary>Absolute path of an image's file.</summary>
    string GetFullPath(CatalogImage image);

    /// <summary>What the last open repaired.</summary>
    CatalogRecoveryReport LastRecovery { get; }
}
