using System.Globalization;

namespace BareMetal.ImageStore.Nbd.Client;

/// <summary>An NBD URI as qemu and libnbd write it: nbd://HOST[:PORT][/EXPORT] (port 10809 by default).</summary>
public sealed record NbdUri(string Host, int Port, string Export)
{
    public const int DefaultPort = 10809;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> with the reason.</summary>
    public static NbdUri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string scheme = "nbd://";
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"'{text}' is not an nbd:// URI (expected nbd://HOST[:PORT][/EXPORT])");
        }

        var rest = text[scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var export = slash < 0 ? "" : Uri.UnescapeDataString(rest[(slash + 1)..]);
        string host;
        var port = DefaultPort;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{text}': unterminated [IPv6] host");
            }

            host = authority[1..close];
            var tail = authority[(close + 1)..];
            if (tail.Length > 0)
            {
                port = ParsePort(text, tail.StartsWith(':') ? tail[1..] : tail);
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            if (colon >= 0)
            {
                port = ParsePort(text, authority[(colon + 1)..]);
            }
        }

        if (host.Length == 0)
        {
            throw new FormatException($"'{text}' has no host");
        }

        if (export.Length > 4096)
        {
            throw new FormatException($"'{text}': export name longer than 4096 bytes");
        }

        return new NbdUri(host, port, export);
    }

    public override string ToString() => $"nbd://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}/{Export}";

    private static int ParsePort(string text, string port) =>
        int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
            ? p
            : throw new FormatException($"'{text}': port '{port}' is not a number from 1 to 65535");
}
