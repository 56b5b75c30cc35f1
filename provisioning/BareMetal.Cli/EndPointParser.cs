using System.Net;
using System.Net.Sockets;

namespace BareMetal.Cli;

/// <summary>
/// Parses listen addresses as users write them: `127.0.0.1:6969`, `[::1]:69`, `localhost:8080`,
/// `:8080` or `8080` (loopback), and `off` where a service can be disabled.
/// </summary>
internal static class EndPointParser
{
    /// <summary>
    /// Null for "off" (when <paramref name="allowOff"/>); port 0 (pick a free port) only when
    /// <paramref name="allowAnyPort"/>. Throws <see cref="CliException"/> naming the flag otherwise.
    /// </summary>
    public static IPEndPoint? Parse(string flag, string text, bool allowOff = true, bool allowAnyPort = false)
    {
        if (allowOff && string.Equals(text, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var candidate = text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + text[9..] : text;
        IPEndPoint? ep = null;
        var portText = candidate.StartsWith(':') ? candidate[1..] : candidate;
        // Digits only: "::1" is an address without a port, not port 1.
        if (int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var portOnly) && portOnly <= 65535)
        {
            ep = new IPEndPoint(IPAddress.Loopback, portOnly);
        }
        else if (IPEndPoint.TryParse(candidate, out var parsed)
                 // An IPv6 address needs brackets, or its last group would be taken for the port.
                 && (parsed.AddressFamily == AddressFamily.InterNetwork ? candidate.Contains(':', StringComparison.Ordinal) : candidate.Contains("]:", StringComparison.Ordinal)))
        {
            ep = parsed;
        }
        if (ep is not null && (ep.Port != 0 || allowAnyPort))
        {
            return ep;
        }
        var example = allowOff ? " or 'off'" : "";
        throw new CliException($"{flag} '{text}': expected ADDRESS:PORT (e.g. 127.0.0.1:6969 or [::1]:6969){example}");
    }
}
