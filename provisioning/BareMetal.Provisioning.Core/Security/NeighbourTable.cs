using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;

namespace BareMetal.Provisioning.Core.Security;

/// <summary>
/// The kernel's IPv4 neighbour (ARP) table as <c>/proc/net/arp</c> shows it: which MAC answers for which
/// address, on which interface. Only complete entries (flag ATF_COM, 0x2) count: an incomplete one is
/// an address the kernel asked for and nobody answered. Pure parser; lines it cannot read are skipped.
/// </summary>
public static class NeighbourTable
{
    /// <summary>Longest text parsed (the file is a few KiB even on a busy segment).</summary>
    public const int MaxTextLength = 4 << 20;

    /// <summary>ATF_COM: the entry is complete (the MAC is known).</summary>
    private const int CompleteFlag = 0x2;

    /// <summary>Parses the file's text (its first line is a header).</summary>
    public static IReadOnlyList<NeighbourEntry> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxTextLength)
        {
            text = text[..MaxTextLength];
        }
        var entries = new List<NeighbourEntry>();
        var first = true;
        foreach (var line in text.Split('\n'))
        {
            if (first)
            {
                first = false;
                continue;
            }
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // IP address, HW type, Flags, HW address, Mask, Device
            if (cols.Length < 6 || !IPAddress.TryParse(cols[0], out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            {
                continue;
            }
            if (!cols[2].StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                || !int.TryParse(cols[2].AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var flags)
                || (flags & CompleteFlag) == 0)
            {
                continue;
            }
            if (Nodes.Macs.Normalise(cols[3]) is not { } mac || mac == "00:00:00:00:00:00")
            {
                continue;
            }
            entries.Add(new NeighbourEntry(ip, mac, cols[5]));
        }
        return entries;
    }

    /// <summary>Reads the live table (empty where there is no /proc/net/arp).</summary>
    public static IReadOnlyList<NeighbourEntry> ReadLive(string path = "/proc/net/arp")
    {
        try
        {
            return File.Exists(path) ? Parse(File.ReadAllText(path)) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The names of this host's interfaces that carry <paramref name="address"/> (for "on the serving interface").</summary>
    public static IEnumerable<string> InterfacesWith(IPAddress address) =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.GetIPProperties().UnicastAddresses.Any(u => u.Address.Equals(address)))
            .Select(n => n.Name);
}
