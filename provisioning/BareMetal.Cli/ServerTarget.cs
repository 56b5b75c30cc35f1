namespace BareMetal.Cli;

/// <summary>
/// Where an API verb goes and what it carries. Each of server, token and fingerprint comes from its
/// flag, else its environment variable, else the config `baremetal login` stored. The stored token and
/// fingerprint belong to the stored server: they are never sent to another one.
/// </summary>
internal sealed record ServerTarget(string Server, string? Token, string? Fingerprint)
{
    public const string DefaultServer = "http://127.0.0.1:8080";
    public const string ServerVariable = "BAREMETAL_SERVER";
    public const string TokenVariable = "BAREMETAL_TOKEN";
    public const string FingerprintVariable = "BAREMETAL_FINGERPRINT";

    public static ServerTarget Resolve(string? serverFlag, string? tokenFlag, string? fingerprintFlag, Func<CliConfig> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var explicitServer = serverFlag ?? Variable(ServerVariable);
        var stored = new Lazy<CliConfig>(config);
        var server = Normalize(explicitServer ?? stored.Value.Server ?? DefaultServer, serverFlag is not null ? "--server" : explicitServer is not null ? ServerVariable : "server");
        var fromStore = (tokenFlag ?? Variable(TokenVariable)) is null || (fingerprintFlag ?? Variable(FingerprintVariable)) is null;
        var same = fromStore && stored.Value.Server is { } s && string.Equals(Normalize(s, CliConfig.FilePath), server, StringComparison.Ordinal);
        var token = tokenFlag ?? Variable(TokenVariable) ?? (same ? stored.Value.Token : null);
        var fingerprintText = fingerprintFlag ?? Variable(FingerprintVariable);
        var fingerprint = fingerprintText is not null
            ? Fingerprints.Parse(fingerprintText, fingerprintFlag is not null ? "--fingerprint" : FingerprintVariable)
            : same ? stored.Value.Fingerprint : null;
        if (fingerprint is not null && server.StartsWith("http://", StringComparison.Ordinal))
        {
            throw new CliException($"a certificate fingerprint pins an https:// server, but the server is {server} (plain HTTP has no certificate)");
        }
        return new ServerTarget(server, string.IsNullOrEmpty(token) ? null : token, fingerprint);
    }

    /// <summary>scheme://host[:port][/path] without a trailing slash, so the same server is always spelled the same; or a CliException.</summary>
    public static string Normalize(string server, string source)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!Uri.TryCreate(server.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new CliException($"{source} '{server}': expected an http:// or https:// URL");
        }
        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
