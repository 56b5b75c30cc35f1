namespace BareMetal.ImageStore.Catalog;

/// <summary>Bounds on user-supplied metadata; larger input is refused with a clear message, not truncated.</summary>
public static class CatalogLimits
{
    public const int MaxOsLabelLength = 128;

    public const int MaxNotesLength = 4096;

    /// <summary>Import progress is reported at most once per this many bytes.</summary>
    public const long ProgressStepBytes = 4L << 20;

    /// <summary>Throws <see cref="CatalogException"/> (Invalid) when a text field is too long or holds control characters.</summary>
    public static string CheckText(string field, string? value, int max, bool multiline)
    {
        value ??= "";
        if (value.Length > max)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, $"{field} has {value.Length} characters; at most {max} are allowed");
        }
        foreach (var c in value)
        {
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'))
            {
                throw new CatalogException(CatalogErrorKind.Invalid, $"{field} must not contain control character U+{(int)c:X4}");
            }
        }
        return value;
    }
}
