using System.Globalization;
using Npgsql;

namespace BareMetal.ImageStore.Catalog.Data;

/// <summary>
/// <c>postgres://user:password@host:port/database?sslmode=require</c> (libpq's URI form) to an Npgsql
/// connection string. Npgsql does not read URIs itself. A percent-encoded host starting with '/' is a
/// unix-socket directory, as in libpq.
/// </summary>
public static class PostgresUrl
{
    /// <summary>PostgreSQL's default port.</summary>
    public const int DefaultPort = 5432;

    public static NpgsqlConnectionStringBuilder Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            throw Bad("missing '://'");
        }
        var rest = url[(schemeEnd + 3)..];
        string? query = null;
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var database = slash < 0 ? "" : Uri.UnescapeDataString(rest[(slash + 1)..]);
        var b = new NpgsqlConnectionStringBuilder();
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            b.Username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            if (colon >= 0)
            {
                b.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            }
        }
        var host = authority;
        var port = DefaultPort;
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Bad("unclosed '[' in host");
            }
            var after = host[(close + 1)..];
            host = host[1..close];
            if (after.StartsWith(':'))
            {
                port = ParsePort(after[1..]);
            }
        }
        else if (host.LastIndexOf(':') is var c and >= 0)
        {
            port = ParsePort(host[(c + 1)..]);
            host = host[..c];
        }
        host = Uri.UnescapeDataString(host);
        b.Host = host.Length == 0 ? "localhost" : host;
        b.Port = port;
        if (database.Length > 0)
        {
            b.Database = database;
        }
        if (query is not null)
        {
            foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw Bad($"query item '{pair}' is not key=value");
                }
                var key = Uri.UnescapeDataString(pair[..eq]);
                var value = Uri.UnescapeDataString(pair[(eq + 1)..]);
                try
                {
                    b[key switch { "sslmode" => "SSL Mode", "application_name" => "Application Name", "connect_timeout" => "Timeout", _ => key }] = value;
                }
                catch (ArgumentException e)
                {
                    throw Bad($"unknown option '{key}': {e.Message}");
                }
            }
        }
        return b;
    }

    private static int ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
            ? p
            : throw Bad($"port '{text}' is not 1..65535");

    private static ArgumentException Bad(string problem) => new($"catalog: bad PostgreSQL URL: {problem}");
}
