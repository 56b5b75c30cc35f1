namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// The OS a file system holds, from os-release(5): /etc/os-release, else /usr/lib/os-release (a symlink
/// in most distributions, followed inside the file system). KEY=VALUE lines, values optionally quoted.
/// </summary>
public static class OsRelease
{
    /// <summary>os-release files larger than this are not believed.</summary>
    public const int MaxBytes = 64 << 10;

    /// <summary>The fields of the OS's os-release, or null when it has none (or it cannot be read).</summary>
    public static IReadOnlyDictionary<string, string>? Read(IFileSystemReader fs)
    {
        ArgumentNullException.ThrowIfNull(fs);
        foreach (var path in (string[])["/etc/os-release", "/usr/lib/os-release"])
        {
            byte[] bytes;
            try
            {
                bytes = fs.ReadAllBytes(path, MaxBytes);
            }
            catch (IOException)
            {
                continue;
            }
            return Parse(System.Text.Encoding.UTF8.GetString(bytes));
        }
        return null;
    }

    /// <summary>PRETTY_NAME (or NAME VERSION) of the OS on <paramref name="fs"/>, or null.</summary>
    public static string? PrettyName(IFileSystemReader fs)
    {
        var f = Read(fs);
        if (f is null)
        {
            return null;
        }
        return f.TryGetValue("PRETTY_NAME", out var p) ? p : f.TryGetValue("NAME", out var n) ? (f.TryGetValue("VERSION", out var v) ? $"{n} {v}" : n) : null;
    }

    /// <summary>Parses os-release text. Pure.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }
            var value = line[(eq + 1)..];
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }
            result[line[..eq]] = value;
        }
        return result;
    }
}
