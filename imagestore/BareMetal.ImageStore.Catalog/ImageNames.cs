using System.Globalization;

namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// The rules for image names. A name becomes part of a file name (data/images/NAME.vN.EXT), of an NBD
/// export name and of a URL, so it is kept to a portable alphabet: ASCII letters, digits, '.', '_' and
/// '-', 1..64 characters, not starting with '.' or '-' (no hidden files, no option look-alikes), and
/// never ending in ".v" + digits (that suffix names a version: "debian.v3").
/// No '@' (it separates an image from a node in export names) and no '/' (path tricks).
/// </summary>
public static class ImageNames
{
    public const int MaxLength = 64;

    /// <summary>Separates a name from its version in export and file names.</summary>
    public const string VersionSeparator = ".v";

    public static bool IsValid(string? name) => Problem(name) is null;

    /// <summary>Why <paramref name="name"/> is not a valid image name; null when it is.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "an image name must not be empty";
        }
        if (name.Length > MaxLength)
        {
            return $"an image name has at most {MaxLength} characters";
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"an image name may hold only letters, digits, '.', '_' and '-' (not {Describe(c)})";
            }
        }
        if (name[0] is '.' or '-')
        {
            return "an image name must not start with '.' or '-'";
        }
        if (TrySplitVersioned(name, out _, out _))
        {
            return $"an image name must not end in '{VersionSeparator}' and digits (that names a version)";
        }
        return null;
    }

    /// <summary>Throws <see cref="CatalogException"/> (Invalid) when the name is not valid.</summary>
    public static void Validate(string? name)
    {
        if (Problem(name) is { } problem)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, problem);
        }
    }

    /// <summary>"debian.v3" for version 3 of "debian": the export and file stem of one version.</summary>
    public static string Versioned(string name, int version) => $"{name}{VersionSeparator}{version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Splits "debian.v3" into ("debian", 3); false for a plain name.</summary>
    public static bool TrySplitVersioned(string text, out string name, out int version)
    {
        ArgumentNullException.ThrowIfNull(text);
        name = text;
        version = 0;
        var at = text.LastIndexOf(VersionSeparator, StringComparison.Ordinal);
        if (at <= 0 || at + VersionSeparator.Length >= text.Length)
        {
            return false;
        }
        var digits = text.AsSpan(at + VersionSeparator.Length);
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out version) || version < 1)
        {
            return false;
        }
        name = text[..at];
        return true;
    }

    private static string Describe(char c) =>
        char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : $"'{c}'";
}
