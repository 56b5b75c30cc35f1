namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>
/// Turns the path a client sent into a safe relative path, or says why it is refused. Pure string
/// work; <see cref="RootDirectoryProvider"/> adds the filesystem checks (symlinks, file type).
/// </summary>
public static class TftpPath
{
    /// <summary>
    /// Normalizes <paramref name="requested"/>: backslashes count as separators (Windows-built boot
    /// loaders such as wdsnbp ask for "boot\x64\..."), leading slashes are dropped (ROMs ask for
    /// "/pxelinux.0" and mean the root, as tftp-hpa -s serves it), "." and empty segments vanish.
    /// Refused: empty names, NUL and other control characters, and any ".." segment.
    /// </summary>
    public static bool TryNormalize(string requested, out string relative, out string reason)
    {
        relative = "";
        if (string.IsNullOrEmpty(requested))
        {
            reason = "empty file name";
            return false;
        }
        foreach (var c in requested)
        {
            if (c < ' ' || c == '\x7f')
            {
                reason = "control character in file name";
                return false;
            }
        }
        var segments = requested.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var kept = new List<string>(segments.Length);
        foreach (var s in segments)
        {
            if (s == ".")
            {
                continue;
            }
            if (s == "..")
            {
                reason = "'..' in file name";
                return false;
            }
            kept.Add(s);
        }
        if (kept.Count == 0)
        {
            reason = "file name names the root";
            return false;
        }
        relative = string.Join('/', kept);
        reason = "";
        return true;
    }
}
