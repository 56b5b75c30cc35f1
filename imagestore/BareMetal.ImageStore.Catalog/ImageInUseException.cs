namespace BareMetal.ImageStore.Catalog;

/// <summary>A delete refused because nodes are assigned to the image (the API answers 409).</summary>
public sealed class ImageInUseException : CatalogException
{
    public ImageInUseException(string name, int? version, IReadOnlyList<string> users)
        : base(CatalogErrorKind.Conflict,
            $"image '{name}'{(version is null ? "" : $" version {version}")} is assigned to {users.Count} node(s): {string.Join(", ", users.Take(5))}{(users.Count > 5 ? ", ..." : "")}")
    {
        Name = name;
        Version = version;
        Users = users;
    }

    public ImageInUseException()
        : this("", null, [])
    {
    }

    public ImageInUseException(string message)
        : base(CatalogErrorKind.Conflict, message)
    {
        Name = "";
        Users = [];
    }

    public ImageInUseException(string message, Exception inner)
        : base(CatalogErrorKind.Conflict, message, inner)
    {
        Name = "";
        Users = [];
    }

    public string Name { get; }

    public int? Version { get; }

    /// <summary>The nodes (MACs) that use it.</summary>
    public IReadOnlyList<string> Users { get; }
}
