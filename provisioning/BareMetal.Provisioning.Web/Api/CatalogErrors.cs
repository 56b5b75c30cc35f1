using BareMetal.ImageStore.Catalog;

namespace BareMetal.Provisioning.Web;

/// <summary>Maps the catalog's and registry's typed refusals (<see cref="CatalogException"/>) to HTTP problems.</summary>
internal static class CatalogErrors
{
    public static (int Status, string Title, string Detail)? Classify(Exception exception) => exception switch
    {
        CatalogException { Kind: CatalogErrorKind.NotFound } e => (404, "Not found", e.Message),
        CatalogException { Kind: CatalogErrorKind.Conflict } e => (409, "Conflict", e.Message),
        CatalogException { Kind: CatalogErrorKind.TooLarge } e => (413, "Request body too large", e.Message),
        CatalogException e => (400, "Bad request", e.Message),
        _ => null,
    };
}
