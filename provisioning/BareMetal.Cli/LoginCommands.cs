using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BareMetal.Provisioning.Web.Api;

namespace BareMetal.Cli;

/// <summary>
/// `baremetal login` trades the admin password for an API token and stores it with the server and its
/// pinned fingerprint (<see cref="CliConfig"/>), so the API verbs need no flags; `baremetal logout`
/// revokes that token on the server and forgets it.
/// </summary>
internal static class LoginCommands
{
    /// <summary>The server's limit on a token name (SessionRoutes.MaxTokenNameLength).</summary>
    private const int MaxTokenNameLength = 64;

    /// <summary>Test seam: where the password is read from instead of the terminal or standard input.</summary>
    internal static TextReader? PasswordInput { get; set; }

    public static Command Login()
    {
        var server = ApiCommands.ServerOption();
        var fingerprint = ApiCommands.FingerprintOption();
        var name = new Option<string?>("--name") { Description = "Name of the API token on the server (default: login USER@HOST and the time)." };
        var cmd = new Command("login", "Ask for the admin password, get an API token from the server, and store server, fingerprint and token in ~/.config/baremetal/config.json (0600).")
        {
            server, fingerprint, name,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var stored = CliConfig.Load();
            var target = ServerTarget.Resolve(parse.GetValue(server), null, parse.GetValue(fingerprint), () => stored);
            var password = ReadPassword(target.Server);
            var tokenName = parse.GetValue(name) ?? DefaultTokenName();
            CreatedToken created;
            using (var api = ApiCommands.Open(target with { Token = null }))
            {
                created = await api.SendJsonAsync(HttpMethod.Post, "api/v1/session/token", new TokenLoginRequest(password, tokenName),
                    ApiJson.Default.TokenLoginRequest, ApiJson.Default.CreatedToken, ct, whenUnauthorized: $"wrong password for {target.Server}; nothing stored");
            }
            // The token this login replaces (same server) would otherwise stay valid and forgotten.
            if (stored.Token is { } old && stored.Server == target.Server)
            {
                await RevokeQuietlyAsync(target with { Token = old }, ct);
            }
            new CliConfig(target.Server, target.Fingerprint, created.Token, created.Id).Save();
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"logged in to {target.Server}{(target.Fingerprint is null ? "" : " (certificate pinned)")}: API token '{created.Name}' (id {created.Id}) stored in {CliConfig.FilePath}"));
            return 0;
        });
        return cmd;
    }

    public static Command Logout()
    {
        var server = ApiCommands.ServerOption();
        var cmd = new Command("logout", "Revoke the API token `baremetal login` stored on the server, and remove it from the config.") { server };
        cmd.SetAction(async (parse, ct) =>
        {
            var stored = CliConfig.Load();
            var target = ServerTarget.Resolve(parse.GetValue(server), null, null, () => stored);
            if (stored.Token is null || stored.Server != target.Server)
            {
                Console.Out.WriteLine($"not logged in to {target.Server} (no token for it in {CliConfig.FilePath})");
                return 0;
            }
            bool revoked;
            using (var api = ApiCommands.Open(target with { Token = stored.Token }))
            {
                // Unreachable or a certificate refused: a CliException, and the token stays stored for another try.
                revoked = await api.DeleteAsync("api/v1/tokens/current", ct);
            }
            (stored with { Token = null, TokenId = null }).Save();
            Console.Out.WriteLine(revoked
                ? $"logged out of {target.Server}: token revoked and removed from {CliConfig.FilePath}"
                : $"logged out of {target.Server}: the server no longer accepted the token; removed it from {CliConfig.FilePath}");
            return 0;
        });
        return cmd;
    }

    private static async Task RevokeQuietlyAsync(ServerTarget target, CancellationToken ct)
    {
        try
        {
            using var api = ApiCommands.Open(target);
            await api.DeleteAsync("api/v1/tokens/current", ct);
        }
        catch (CliException)
        {
            // Best effort: the new token is what matters; the old one can still be revoked from the console.
        }
    }

    private static string DefaultTokenName()
    {
        var who = $"login {Environment.UserName}@{Environment.MachineName}";
        var suffix = string.Create(CultureInfo.InvariantCulture, $" {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}");
        return (who.Length + suffix.Length > MaxTokenNameLength ? who[..(MaxTokenNameLength - suffix.Length)] : who) + suffix;
    }

    /// <summary>
    /// From the terminal without echo; from standard input (one line) when it is not a terminal, so a
    /// script or a test can pipe it in.
    /// </summary>
    private static string ReadPassword(string server)
    {
        string? password;
        if (PasswordInput is { } input)
        {
            password = input.ReadLine();
        }
        else if (Console.IsInputRedirected)
        {
            password = Console.In.ReadLine();
        }
        else
        {
            Console.Error.Write($"admin password for {server}: ");
            password = ReadHidden();
            Console.Error.WriteLine();
        }
        if (string.IsNullOrEmpty(password))
        {
            throw new CliException("no password given (type it at the prompt, or pipe one line to standard input)");
        }
        return password;
    }

    private static string? ReadHidden()
    {
        // Ctrl-C must still abandon the prompt: read it as a key, and cancel on it.
        var treatControlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        try
        {
            return ReadKeys();
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
        }
    }

    private static string? ReadKeys()
    {
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control))
            {
                throw new OperationCanceledException();
            }
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    return text.ToString();
                case ConsoleKey.Backspace:
                    if (text.Length > 0)
                    {
                        text.Length--;
                    }
                    break;
                default:
                    if (key.KeyChar == '\u0004' && text.Length == 0)
                    {
                        return null; // Ctrl-D on an empty line
                    }
                    if (!char.IsControl(key.KeyChar))
                    {
                        text.Append(key.KeyChar);
                    }
                    break;
            }
        }
    }
}
