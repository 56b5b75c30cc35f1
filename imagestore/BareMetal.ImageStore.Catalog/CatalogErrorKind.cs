namespace BareMetal.ImageStore.Catalog;

/// <summary>What kind of refusal a <see cref="CatalogException"/> is; the REST API maps it to a status code.</summary>
public enum CatalogErrorKind
{
    /// <summary>The request itself is wrong (bad name, corrupt image, oversized metadata): HTTP 400.</summary>
    Invalid = 400,

    /// <summary>The named thing does not exist: HTTP 404.</summary>
    NotFound = 404,

    /// <summary>The request clashes with the current state (image in use, invalid transition): HTTP 409.</summary>
    Conflict = 409,

    /// <summary>An upload is larger than allowed: HTTP 413.</summary>
    TooLarge = 413,
}
