using System.Globalization;
using System.Text;

namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>
/// The text descriptor ("# Disk DescriptorFile"): header keys, extent lines and the disk database.
/// Either a small file of its own (monolithicFlat, twoGbMaxExtent*) or embedded in a sparse extent.
/// </summary>
public sealed record VmdkDescriptor
{
    /// <summary>Most extent lines accepted (a 2 TiB twoGbMaxExtent disk needs 1024).</summary>
    public const int MaxExtents = 8192;

    /// <summary>parentCID value meaning "no parent".</summary>
    public const uint NoParent = 0xFFFFFFFF;

    public int Version { get; init; } = 1;
    public uint? Cid { get; init; }
    public uint? ParentCid { get; init; }
    public string? CreateType { get; init; }
    public string? ParentFileNameHint { get; init; }
    public IReadOnlyList<VmdkExtentLine> Extents { get; init; } = [];

    /// <summary>Every "key = value" line (header and ddb.*), values unquoted.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>True when the descriptor names a parent (a delta disk).</summary>
    public bool HasParent => ParentFileNameHint is { Length: > 0 } && ParentCid is { } p && p != NoParent;

    /// <summary>Parses descriptor text (UTF-8, stops at the first NUL: embedded ones are NUL-padded). Pure.</summary>
    public static VmdkDescriptor Parse(ReadOnlySpan<byte> bytes, string? path)
    {
        if (bytes.Length > ImageLimits.MaxDescriptorBytes)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"descriptor of {bytes.Length} bytes exceeds {ImageLimits.MaxDescriptorBytes}");
        }
        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            bytes = bytes[..nul];
        }
        var text = Encoding.UTF8.GetString(bytes);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var extents = new List<VmdkExtentLine>();
        long totalSectors = 0;
        var lineNo = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNo++;
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            if (IsExtentLine(line))
            {
                if (extents.Count >= MaxExtents)
                {
                    throw Error(path, ImageError.SizeOutOfRange, $"descriptor has more than {MaxExtents} extents");
                }
                var extent = ParseExtent(line, lineNo, path);
                totalSectors += extent.Sectors;
                if (totalSectors > ImageLimits.MaxVirtualSize / VmdkSparseHeader.SectorSize)
                {
                    throw Error(path, ImageError.SizeOutOfRange, $"extents add up to more than {ImageLimits.MaxVirtualSize} bytes");
                }
                extents.Add(extent);
                continue;
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                // VMware ignores lines it does not understand; so do we (qemu too).
                continue;
            }
            values[line[..eq].Trim()] = Unquote(line[(eq + 1)..].Trim());
        }
        return new VmdkDescriptor
        {
            Version = values.TryGetValue("version", out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var vi) ? vi : 1,
            Cid = Hex(values, "CID", path),
            ParentCid = Hex(values, "parentCID", path),
            CreateType = values.GetValueOrDefault("createType"),
            ParentFileNameHint = values.GetValueOrDefault("parentFileNameHint"),
            Extents = extents,
            Values = values,
        };
    }

    private static bool IsExtentLine(string line) =>
        line.StartsWith("RW ", StringComparison.Ordinal) || line.StartsWith("RW\t", StringComparison.Ordinal) ||
        line.StartsWith("RDONLY", StringComparison.Ordinal) || line.StartsWith("NOACCESS", StringComparison.Ordinal);

    private static VmdkExtentLine ParseExtent(string line, int lineNo, string? path)
    {
        var pos = 0;
        var accessText = Token(line, ref pos);
        var access = accessText switch
        {
            "RW" => VmdkAccess.ReadWrite,
            "RDONLY" => VmdkAccess.ReadOnly,
            "NOACCESS" => VmdkAccess.NoAccess,
            _ => throw Bad(path, lineNo, line, $"unknown access '{accessText}'"),
        };
        var sectorsText = Token(line, ref pos);
        if (!long.TryParse(sectorsText, NumberStyles.None, CultureInfo.InvariantCulture, out var sectors) || sectors <= 0)
        {
            throw Bad(path, lineNo, line, $"extent size '{sectorsText}' is not a positive sector count");
        }
        var typeText = Token(line, ref pos);
        var type = typeText switch
        {
            "FLAT" => VmdkExtentType.Flat,
            "SPARSE" => VmdkExtentType.Sparse,
            "ZERO" => VmdkExtentType.Zero,
            "VMFS" => VmdkExtentType.Vmfs,
            "VMFSSPARSE" or "SESPARSE" or "VMFSRDM" or "VMFSRAW" =>
                throw new ImageFormatException(path, ImageFormat.Vmdk, ImageError.Unsupported, $"extent type {typeText} (line {lineNo}) is not supported"),
            _ => throw Bad(path, lineNo, line, $"unknown extent type '{typeText}'"),
        };
        string? file = null;
        long offset = 0;
        if (type != VmdkExtentType.Zero)
        {
            SkipSpace(line, ref pos);
            if (pos >= line.Length || line[pos] != '"')
            {
                throw Bad(path, lineNo, line, "extent file name must be quoted");
            }
            var close = line.IndexOf('"', pos + 1);
            if (close < 0)
            {
                throw Bad(path, lineNo, line, "extent file name has no closing quote");
            }
            file = line[(pos + 1)..close];
            if (file.Length == 0)
            {
                throw Bad(path, lineNo, line, "extent file name is empty");
            }
            pos = close + 1;
            var offsetText = Token(line, ref pos);
            if (offsetText.Length > 0)
            {
                if (!long.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out offset) ||
                    offset > ImageLimits.MaxVirtualSize / VmdkSparseHeader.SectorSize)
                {
                    throw Bad(path, lineNo, line, $"extent offset '{offsetText}' is not a valid sector number");
                }
            }
            else if (type is VmdkExtentType.Flat or VmdkExtentType.Vmfs)
            {
                // qemu insists on the offset column for flat extents; so do we (a missing one hides a typo).
                throw Bad(path, lineNo, line, "flat extent needs an offset column");
            }
        }
        return new VmdkExtentLine(access, sectors, type, file, offset);
    }

    private static string Token(string line, ref int pos)
    {
        SkipSpace(line, ref pos);
        var start = pos;
        while (pos < line.Length && !char.IsWhiteSpace(line[pos]))
        {
            pos++;
        }
        return line[start..pos];
    }

    private static void SkipSpace(string line, ref int pos)
    {
        while (pos < line.Length && char.IsWhiteSpace(line[pos]))
        {
            pos++;
        }
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

    private static uint? Hex(Dictionary<string, string> values, string key, string? path)
    {
        if (!values.TryGetValue(key, out var text))
        {
            return null;
        }
        if (!uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
        {
            throw Error(path, ImageError.BadHeader, $"{key} '{Escape(text)}' is not a 32-bit hex number");
        }
        return v;
    }

    private static ImageFormatException Bad(string? path, int lineNo, string line, string problem) =>
        Error(path, ImageError.BadHeader, $"descriptor line {lineNo} '{Escape(line)}': {problem}");

    /// <summary>Shows hostile text safely in a one-line message: control characters escaped, long text cut.</summary>
    internal static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text.Length > 80 ? text[..80] : text)
        {
            sb.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        }
        if (text.Length > 80)
        {
            sb.Append("...");
        }
        return sb.ToString();
    }

    private static ImageFormatException Error(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Vmdk, reason, problem);
}
