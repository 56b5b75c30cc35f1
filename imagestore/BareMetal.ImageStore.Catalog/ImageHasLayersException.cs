namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// A delete refused because other catalog images have this one in their backing chain: deleting it
/// would leave them unreadable (the API answers 409, like <see cref="ImageInUseException"/>).
/// </summary>
public sealed class ImageHasLayersException : CatalogException
{
    public ImageHasLayersException(string name, int? version, IReadOnlyList<string> layers)
        : base(CatalogErrorKind.Conflict,
            $"image '{name}'{(version is null ? "" : $" version {version}")} is the backing file of {layers.Count} image(s): {string.Join(", ", layers.Take(5))}{(layers.Count > 5 ? ", ..." : "")}; delete those first")
    {
        Name = name;
        Version = version;
        Layers = layers;
    }

    public ImageHasLayersException()
        : this("", null, [])
    {
    }

    public ImageHasLayersException(string message)
        : base(CatalogErrorKind.Conflict, message)
    {
        Name = "";
        Layers = [];
    }

    public ImageHasLayersException(string message, Exception inner)
        : base(CatalogErrorKind.Conflict, message, inner)
    {
        Name = "";
        Layers = [];
    }

    public string Name { get; }

    public int? Version { get; }

    /// <summary>Export names ("delta.v1") of the images layered on it.</summary>
    public IReadOnlyList<string> Layers { get; }
}
