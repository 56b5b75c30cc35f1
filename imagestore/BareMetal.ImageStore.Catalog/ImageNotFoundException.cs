namespace BareMetal.ImageStore.Catalog;

/// <summary>No image of that name (and version) in the catalog.</summary>
public sealed class ImageNotFoundException : CatalogException
{
    public ImageNotFoundException(string name, int? version)
        : base(CatalogErrorKind.NotFound, version is null ? $"image '{name}' is not in the catalog" : $"image '{name}' has no version {version}")
    {
        Name = name;
        Version = version;
    }

    public ImageNotFoundException()
        : this("", (int?)null)
    {
    }

    public ImageNotFoundException(string message)
        : this(message, (int?)null)
    {
    }

    public ImageNotFoundException(string message, Exception inner)
        : base(CatalogErrorKind.NotFound, message, inner) => Name = "";

    public string Name { get; }

    public int? Version { get; }
}
