namespace BareMetal.Provisioning.Web.Tls;

/// <summary>
/// Secrets on disk (the server's TLS key, the CLI's stored token): a directory only its owner can enter
/// (0700) and files only its owner can read (0600) from their first byte, replaced atomically by rename.
/// </summary>
public static class PrivateFiles
{
    public static void CreateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Writes <paramref name="text"/> to a 0600 temporary file beside <paramref name="path"/>, flushed, then renames it over the path.</summary>
    public static void WriteAllText(string path, string text)
    {
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
