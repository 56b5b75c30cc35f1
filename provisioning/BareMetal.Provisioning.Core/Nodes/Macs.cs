using System.Globalization;

namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>MAC addresses as the registry keys them: lower-case, colon-separated ("52:54:00:12:34:56").</summary>
public static class Macs
{
    /// <summary>
    /// Accepts "52:54:00:12:34:56", "52-54-00-12-34-56" and "525400123456" in any case; null for
    /// anything else.
    /// </summary>
    public static string? Normalise(string? text)
    {
        if (text is null)
        {
            return null;
        }
        Span<char> hex = stackalloc char[12];
        var n = 0;
        if (text.Length == 12)
        {
            foreach (var c in text)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return null;
                }
                hex[n++] = char.ToLowerInvariant(c);
            }
        }
        else if (text.Length == 17)
        {
            var sep = text[2];
            if (sep is not (':' or '-'))
            {
                return null;
            }
            for (var i = 0; i < 17; i++)
            {
                var c = text[i];
                if (i % 3 == 2)
                {
                    if (c != sep)
                    {
                        return null;
                    }
                    continue;
                }
                if (!char.IsAsciiHexDigit(c))
                {
                    return null;
                }
                hex[n++] = char.ToLowerInvariant(c);
            }
        }
        else
        {
            return null;
        }
        return string.Create(17, hex.ToString(), static (dest, h) =>
        {
            for (var i = 0; i < 6; i++)
            {
                dest[i * 3] = h[i * 2];
                dest[(i * 3) + 1] = h[(i * 2) + 1];
                if (i < 5)
                {
                    dest[(i * 3) + 2] = ':';
                }
            }
        });
    }

    /// <summary>Like <see cref="Normalise"/> but throws a 400-kind <see cref="ImageStore.Catalog.CatalogException"/>.</summary>
    public static string Require(string? text) =>
        Normalise(text) ?? throw new ImageStore.Catalog.CatalogException(ImageStore.Catalog.CatalogErrorKind.Invalid,
            $"'{Printable(text)}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");

    /// <summary>"525400123456": the node identity in export names (the block service allows no ':').</summary>
    public static string Compact(string normalisedMac)
    {
        ArgumentNullException.ThrowIfNull(normalisedMac);
        return normalisedMac.Replace(":", "", StringComparison.Ordinal);
    }

    internal static string Printable(string? text)
    {
        if (text is null)
        {
            return "(null)";
        }
        var shown = text.Length > 40 ? text[..40] + "..." : text;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString(CultureInfo.InvariantCulture)));
    }
}
