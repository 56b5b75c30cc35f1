using System.Text.Json;
using BareMetal.Provisioning.Web.Tls;

namespace BareMetal.Cli;

/// <summary>
/// What `baremetal login` stores: the server, its pinned certificate fingerprint, and an API token, in
/// $XDG_CONFIG_HOME/baremetal/config.json (default ~/.config/baremetal), the file 0600 and its folder 0700.
/// </summary>
internal sealed record CliConfig(string? Server = null, string? Fingerprint = null, string? Token = null, long? TokenId = null)
{
    public const string ConfigHomeVariable = "XDG_CONFIG_HOME";

    public static string DirectoryPath
    {
        get
        {
            var home = Environment.GetEnvironmentVariable(ConfigHomeVariable);
            if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home))
            {
                // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
                home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            }
            return Path.Combine(home, "baremetal");
        }
    }

    public static string FilePath => Path.Combine(DirectoryPath, "config.json");

    /// <summary>The stored config; an empty one when there is none. A file that is not ours to read is an error, not a silent default.</summary>
    public static CliConfig Load()
    {
        var path = FilePath;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new CliConfig();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{path}: cannot read it: {e.Message}");
        }
        try
        {
            return JsonSerializer.Deserialize(text, CliConfigJson.Default.CliConfig) ?? new CliConfig();
        }
        catch (JsonException e)
        {
            throw new CliException($"{path}: not a BareMetal CLI config ({e.Message}); remove it and run `baremetal login` again");
        }
    }

    public void Save()
    {
        try
        {
            PrivateFiles.CreateDirectory(DirectoryPath);
            PrivateFiles.WriteAllText(FilePath, JsonSerializer.Serialize(this, CliConfigJson.Default.CliConfig) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{FilePath}: cannot write it: {e.Message}");
        }
    }
}
