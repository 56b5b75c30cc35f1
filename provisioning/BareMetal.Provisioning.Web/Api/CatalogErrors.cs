namespace BareMetal.Provisioning.Web;

/// <summary>Maps the catalog's and registry's typed exceptions to HTTP problems.</summary>
internal static class CatalogErrors
{
    public static (int Status, string Title, string Detail)? Classify(Exception exception) => exception switch
    {
        _ => null,
    };
}
