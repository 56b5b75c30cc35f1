using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// An import refused: the content is not an image we can serve (corrupt, has a backing file), the
/// upload was cut short or too large. Nothing of it is left in the catalog or on disk.
/// </summary>
public sealed class ImageImportException : CatalogException
{
    public ImageImportException(CatalogErrorKind kind, string message, ImageError? reason = null, Exception? inner = null)
        : base(kind, message, inner ?? new InvalidDataException(message)) => Reason = reason;

    public ImageImportException()
        : this(CatalogErrorKind.Invalid, "import refused")
    {
    }

    public ImageImportException(string message)
        : this(CatalogErrorKind.Invalid, message)
    {
    }

    public ImageImportException(string message, Exception inner)
        : this(CatalogErrorKind.Invalid, message, null, inner)
    {
    }

    /// <summary>The format reader's reason when the content was refused by it.</summary>
    public ImageError? Reason { get; }
}
