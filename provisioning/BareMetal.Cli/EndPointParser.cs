using System.Net;

namespace BareMetal.Cli;

/// <summary>Parses listen addresses as users write them: `127.0.0.1:6969`, `[::1]:69`, `:8080`, `off`.</summary>
internal static class EndPointParser
{
    /// <summary>Null for "off"; throws <see cref="CliException"/> naming the flag otherwise.</summary>
    public static IPEndPoint? Parse(string flag, string text)
    {
        if (string.Equals(text, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        if (text.StartsWith(':') && int.TryParse(text.AsSpan(1), out var onlyPort) && onlyPort is > 0 and <= 65535)
        {
            return new IPEndPoint(IPAddress.Loopback, onlyPort);
        }
        if (IPEndPoint.TryParse(text, out var ep) && ep.Port != 0 && (text.Contains(':', StringComparison.Ordinal) && !text.StartsWith('[') ? text.Count(c => c == ':') == 1 : text.Contains("]:", StringComparison.Ordinal)))
        {
            return ep;
        }
        throw new CliException($"{flag} '{text}': expected ADDRESS:PORT (e.g. 127.0.0.1:6969 or [::1]:6969) or 'off'");
    }
}
