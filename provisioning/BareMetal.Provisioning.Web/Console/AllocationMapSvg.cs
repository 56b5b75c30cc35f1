using System.Globalization;
using System.Text;
using BareMetal.ImageStore.Catalog;

namespace BareMetal.Provisioning.Web.WebConsole;

/// <summary>
/// The allocation map as one SVG bar, drawn on the server from <see cref="ImageMap"/> buckets: each
/// bucket is a column whose height is split into data (solid), zeros (hatched) and holes (pale), so the
/// picture reads without colour too. The SVG carries a text summary for screen readers.
/// </summary>
public static class AllocationMapSvg
{
    /// <summary>Columns in the picture: enough for a 4K screen to show detail, small enough to send.</summary>
    public const int Buckets = 256;

    private const int Height = 100;

    /// <summary>
    /// The SVG for <paramref name="buckets"/>; <paramref name="id"/> prefixes its element ids, so several
    /// pictures can share a page (the exports page draws one per client).
    /// </summary>
    public static string Render(IReadOnlyList<ImageMapBucket> buckets, string summary, string id = "map")
    {
        ArgumentNullException.ThrowIfNull(buckets);
        ArgumentException.ThrowIfNullOrEmpty(id);
        var n = Math.Max(1, buckets.Count);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {Height}\" preserveAspectRatio=\"none\" role=\"img\" aria-labelledby=\"{id}-title\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-title\">").Append(System.Net.WebUtility.HtmlEncode(summary)).Append("</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<defs><pattern id=\"{id}-zero-hatch\" width=\"2\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">")
           .Append("<rect width=\"2\" height=\"8\" fill=\"#ffffff\"/><rect width=\"1\" height=\"8\" fill=\"#9aa4b2\"/></pattern></defs>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"0\" y=\"0\" width=\"{n}\" height=\"{Height}\" fill=\"#eef1f5\"/>");
        for (var i = 0; i < buckets.Count; i++)
        {
            var b = buckets[i];
            var data = Math.Clamp(b.Data, 0, 1) * Height;
            var zero = Math.Clamp(b.Zero, 0, 1) * Height;
            if (data > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"data\" x=\"{i}\" y=\"{Height - data:0.##}\" width=\"1\" height=\"{data:0.##}\" fill=\"#1f6feb\"/>");
            }
            if (zero > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"zero\" x=\"{i}\" y=\"{Height - data - zero:0.##}\" width=\"1\" height=\"{zero:0.##}\" fill=\"url(#{id}-zero-hatch)\"/>");
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>"12.5 % data, 3.1 % zeros, 84.4 % holes".</summary>
    public static string Summary(IReadOnlyList<ImageMapBucket> buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        double total = 0, data = 0, zero = 0;
        foreach (var b in buckets)
        {
            total += b.Length;
            data += b.Data * b.Length;
            zero += b.Zero * b.Length;
        }
        if (total <= 0)
        {
            return "empty disk";
        }
        var hole = Math.Max(0, total - data - zero);
        return string.Create(CultureInfo.InvariantCulture, $"{100 * data / total:0.#} % data, {100 * zero / total:0.#} % zeros, {100 * hole / total:0.#} % holes");
    }
}
