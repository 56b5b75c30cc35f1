namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// A clean refusal from the catalog or provisioning stores, with a one-line message fit for a user and
/// a <see cref="Kind"/> the API maps to a status code. Anything else escaping a store is a bug.
/// </summary>
public class CatalogException : Exception
{
    public CatalogException(CatalogErrorKind kind, string message)
        : base(message) => Kind = kind;

    public CatalogException(CatalogErrorKind kind, string message, Exception inner)
        : base(message, inner) => Kind = kind;

    public CatalogException()
        : this(CatalogErrorKind.Invalid, "catalog request refused")
    {
    }

    public CatalogException(string message)
        : this(CatalogErrorKind.Invalid, message)
    {
    }

    public CatalogException(string message, Exception inner)
        : this(CatalogErrorKind.Invalid, message, inner)
    {
    }

    public CatalogErrorKind Kind { get; }
}
