using System.Globalization;

namespace BareMetal.ImageStore.Cli;

/// <summary>
/// `IMAGE[:PARTITION][:/path]` as `image ls` and `image extract` take it: `disk.img`, `disk.img:2`,
/// `disk.img:/etc`, `disk.img:2:/etc/os-release`. PARTITION is 1-based, as Linux numbers them. An
/// argument naming an existing file is always that file, so names holding ':' still work.
/// </summary>
internal readonly record struct ImageSpec(string Image, int? Partition, string? Path)
{
    public static ImageSpec Parse(string arg, Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(arg);
        ArgumentNullException.ThrowIfNull(exists);
        if (exists(arg))
        {
            return new ImageSpec(arg, null, null);
        }
        // The image is the longest prefix before a ':' that exists; the rest is "N", "N:/path" or "/path".
        for (var colon = arg.LastIndexOf(':'); colon > 0; colon = arg.LastIndexOf(':', colon - 1))
        {
            var image = arg[..colon];
            if (!exists(image))
            {
                continue;
            }
            var rest = arg[(colon + 1)..];
            if (rest.StartsWith('/'))
            {
                return new ImageSpec(image, null, rest);
            }
            var next = rest.IndexOf(':', StringComparison.Ordinal);
            var number = next < 0 ? rest : rest[..next];
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                throw new CliException($"{arg}: '{number}' is not a partition number (1, 2, ...)");
            }
            if (next < 0)
            {
                return new ImageSpec(image, n, null);
            }
            var path = rest[(next + 1)..];
            if (!path.StartsWith('/'))
            {
                throw new CliException($"{arg}: the path inside the image must start with '/'");
            }
            return new ImageSpec(image, n, path);
        }
        // Name the image part: what comes before the first ":N" or ":/".
        var cut = arg.Length;
        for (var i = 0; i + 1 < arg.Length; i++)
        {
            if (arg[i] == ':' && (arg[i + 1] == '/' || char.IsAsciiDigit(arg[i + 1])))
            {
                cut = i;
                break;
            }
        }
        throw new CliException($"{System.IO.Path.GetFullPath(arg[..cut])}: no such file");
    }
}
