using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>
/// An export name as clients write it: <c>base[@node[~key]]</c>, where base is an image name, optionally
/// with its version (<c>debian</c>, <c>debian.v3</c>), node is the identity of the node whose copy-on-write
/// overlay it is (<c>525400123456</c>), and key is that node's deployment key, which proves the client is
/// the node the server handed it to (it travels in the NBD export name or HTTP path; iSCSI proves it with
/// CHAP instead). One parser for every front-end and every place that looks into a name.
/// </summary>
public readonly record struct ExportName
{
    /// <summary>Separates base name and node identity.</summary>
    public const char NodeSeparator = '@';

    /// <summary>Separates the node identity and the deployment key.</summary>
    public const char KeySeparator = '~';

    /// <summary>Separates image name and version in a base name: <c>debian.v3</c>.</summary>
    public const string VersionMarker = ".v";

    /// <summary>Longest name accepted (file names of overlays stay well under 255 bytes).</summary>
    public const int MaxLength = 200;

    private ExportName(string baseName, string? node, string? key)
    {
        Base = baseName;
        Node = node;
        Key = key;
    }

    /// <summary>The image's export name: <c>debian</c> or <c>debian.v3</c>.</summary>
    public string Base { get; }

    /// <summary>The node identity of a per-node export; null for a base export.</summary>
    public string? Node { get; }

    /// <summary>The deployment key given with a per-node export; null when none was given.</summary>
    public string? Key { get; }

    public bool IsPerNode => Node is not null;

    /// <summary><c>base[@node]</c>, without the key: the name the export and its overlay are known by.</summary>
    public string Canonical => Node is null ? Base : Base + NodeSeparator + Node;

    /// <summary>The image name without a version suffix (<c>debian</c> for <c>debian.v3</c>).</summary>
    public string ImageName => SplitVersion(Base).Name;

    /// <summary>The version in the base name; null for the plain (newest) name.</summary>
    public int? Version => SplitVersion(Base).Version;

    /// <summary>A per-node name: <c>base@node</c>, with <c>~key</c> when a key is given.</summary>
    public static ExportName ForNode(string baseName, string node, string? key = null)
    {
        var text = baseName + NodeSeparator + node + (key is null ? "" : KeySeparator + key);
        return Parse(text);
    }

    /// <summary>Parses or throws <see cref="FormatException"/> with the reason.</summary>
    public static ExportName Parse(string text) =>
        TryParse(text, out var name, out var why) ? name : throw new FormatException($"export name '{text}': {why}");

    public static bool TryParse(string? text, out ExportName name) => TryParse(text, out name, out _);

    /// <summary>
    /// Base and node are letters, digits, '.', '_' and '-', neither starting with '.'; the key is letters,
    /// digits, '-' and '_'. At most one '@' and one '~' (after the '@'). The whole at most <see cref="MaxLength"/>.
    /// </summary>
    public static bool TryParse(string? text, out ExportName name, [NotNullWhen(false)] out string? why)
    {
        name = default;
        if (string.IsNullOrEmpty(text))
        {
            why = "empty";
            return false;
        }
        if (text.Length > MaxLength)
        {
            why = $"longer than {MaxLength} characters";
            return false;
        }
        var at = text.IndexOf(NodeSeparator, StringComparison.Ordinal);
        var tilde = text.IndexOf(KeySeparator, StringComparison.Ordinal);
        if (tilde >= 0 && (at < 0 || tilde < at))
        {
            why = $"'{KeySeparator}' (a key) only follows a node identity";
            return false;
        }
        var baseName = at < 0 ? text : text[..at];
        string? node = null;
        string? key = null;
        if (at >= 0)
        {
            var rest = text[(at + 1)..];
            var k = rest.IndexOf(KeySeparator, StringComparison.Ordinal);
            node = k < 0 ? rest : rest[..k];
            key = k < 0 ? null : rest[(k + 1)..];
        }
        if (!IsSafe(baseName))
        {
            why = "the image name must be letters, digits, '.', '_' or '-', not starting with '.'";
            return false;
        }
        if (node is not null && !IsSafe(node))
        {
            why = "the node identity must be letters, digits, '.', '_' or '-', not starting with '.'";
            return false;
        }
        if (key is not null && (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            why = "the key must be letters, digits, '-' or '_'";
            return false;
        }
        name = new ExportName(baseName, node, key);
        why = null;
        return true;
    }

    /// <summary>Whether a base export name is one the block service can carry (also checked by <see cref="TryParse(string?, out ExportName, out string?)"/>).</summary>
    public static bool IsSafe(string s) =>
        s.Length > 0 && s[0] != '.' && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static (string Name, int? Version) SplitVersion(string baseName)
    {
        var v = baseName.LastIndexOf(VersionMarker, StringComparison.Ordinal);
        if (v > 0 && v + VersionMarker.Length < baseName.Length
            && baseName.AsSpan(v + VersionMarker.Length).IndexOfAnyExceptInRange('0', '9') < 0
            && int.TryParse(baseName.AsSpan(v + VersionMarker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return (baseName[..v], version);
        }
        return (baseName, null);
    }

    /// <summary>The canonical name: never the key, so it can be logged.</summary>
    public override string ToString() => Canonical;
}
