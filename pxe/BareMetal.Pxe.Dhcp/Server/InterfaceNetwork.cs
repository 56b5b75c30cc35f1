using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BareMetal.Pxe.Dhcp.Server;

/// <summary>
/// What the serving interface's own configuration says a client on its network should use: the interface's
/// default route (from /proc/net/route) as router, and /etc/resolv.conf's name servers and search domain.
/// These are the defaults for full DHCP's options 3, 6 and 15 when the operator set none; nothing on the
/// host names an NTP server for others, so 42 has no default.
/// </summary>
public sealed record InterfaceNetwork(IPAddress? Router, IReadOnlyList<IPAddress> DnsServers, string? Domain)
{
    /// <summary>RTF_UP | RTF_GATEWAY: a usable route through a gateway.</summary>
    private const int UpGateway = 0x3;

    public static InterfaceNetwork None { get; } = new(null, [], null);

    /// <summary>Reads /proc/net/route and /etc/resolv.conf; what cannot be read counts as absent.</summary>
    public static InterfaceNetwork Read(string interfaceName) =>
        Parse(interfaceName, TryRead("/proc/net/route"), TryRead("/etc/resolv.conf"));

    /// <summary>Pure: the default route of <paramref name="interfaceName"/> in <paramref name="routes"/>, and <paramref name="resolvConf"/>'s servers and domain.</summary>
    public static InterfaceNetwork Parse(string interfaceName, string? routes, string? resolvConf)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        return new InterfaceNetwork(DefaultRoute(interfaceName, routes), NameServers(resolvConf), SearchDomain(resolvConf));
    }

    /// <summary>
    /// /proc/net/route: "Iface Destination Gateway Flags RefCnt Use Metric Mask ...", addresses as the hex of a
    /// network-order word read in the host's byte order. The default route has destination and mask 0; the
    /// lowest metric wins, as in the kernel.
    /// </summary>
    private static IPAddress? DefaultRoute(string interfaceName, string? routes)
    {
        IPAddress? best = null;
        var bestMetric = long.MaxValue;
        foreach (var line in Lines(routes))
        {
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8 || f[0] != interfaceName
                || !uint.TryParse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var destination) || destination != 0
                || !uint.TryParse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gateway) || gateway == 0
                || !int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags) || (flags & UpGateway) != UpGateway
                || !long.TryParse(f[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var metric)
                || !uint.TryParse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask) || mask != 0)
            {
                continue;
            }
            if (metric < bestMetric)
            {
                (best, bestMetric) = (new IPAddress(BitConverter.GetBytes(gateway)), metric);
            }
        }
        return best;
    }

    /// <summary>IPv4 name servers a client elsewhere can use: loopback ones (systemd-resolved's 127.0.0.53, a local dnsmasq) are the host's own.</summary>
    private static IPAddress[] NameServers(string? resolvConf) =>
    [
        .. Directives(resolvConf, "nameserver")
            .Select(v => IPAddress.TryParse(v[0], out var a) ? a : null)
            .OfType<IPAddress>()
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && !a.Equals(IPAddress.Any))
            .Distinct(),
    ];

    /// <summary>resolv.conf(5): "domain" and "search" exclude each other and the last one wins; search's first entry is the domain.</summary>
    private static string? SearchDomain(string? resolvConf)
    {
        string? domain = null;
        foreach (var line in Lines(resolvConf))
        {
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2 && f[0] is "domain" or "search")
            {
                domain = f[1].TrimEnd('.');
            }
        }
        return domain is { Length: > 0 } && domain != "." ? domain : null;
    }

    private static IEnumerable<string[]> Directives(string? text, string name) =>
        Lines(text).Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 2 && f[0] == name).Select(f => f[1..]);

    private static IEnumerable<string> Lines(string? text) =>
        (text ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not ('#' or ';'));

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
