using BareMetal.ImageStore.Catalog;

namespace BareMetal.Provisioning.Core.Settings;

/// <summary>Well-known setting keys and their checks.</summary>
public static class SettingKeys
{
    /// <summary>"off", "proxy" or "full".</summary>
    public const string DhcpMode = "dhcp.mode";

    /// <summary>Network interface DHCP listens on.</summary>
    public const string DhcpInterface = "dhcp.interface";

    /// <summary>Full DHCP's address pool, "FIRST-LAST" IPv4 addresses (e.g. 10.0.0.100-10.0.0.199).</summary>
    public const string DhcpRange = "dhcp.range";

    /// <summary>Full DHCP's option 3: an IPv4 router, or "none"; unset = the interface's default route.</summary>
    public const string DhcpRouter = "dhcp.router";

    /// <summary>Full DHCP's option 6: IPv4 name servers (comma or space separated), or "none"; unset = resolv.conf's.</summary>
    public const string DhcpDns = "dhcp.dns";

    /// <summary>Full DHCP's option 15: a domain name, or "none"; unset = resolv.conf's search domain.</summary>
    public const string DhcpDomain = "dhcp.domain";

    /// <summary>Full DHCP's option 42: IPv4 NTP servers (comma or space separated), or "none"; unset = none.</summary>
    public const string DhcpNtp = "dhcp.ntp";

    /// <summary>The value of the dhcp.* network settings (and their --dhcp-* flags) that sends nothing.</summary>
    public const string None = "none";

    /// <summary>Boot file for legacy BIOS PXE (default undionly.kpxe).</summary>
    public const string BootFileBios = "boot.file.bios";

    /// <summary>Boot file for x64 UEFI (default ipxe.efi).</summary>
    public const string BootFileX64 = "boot.file.x64";

    /// <summary>Boot file for ARM64 UEFI (none by default).</summary>
    public const string BootFileArm64 = "boot.file.arm64";

    /// <summary>How stream-mode nodes reach their disk: "http" (range requests, the default) or "iscsi".</summary>
    public const string BootStreamProtocol = "boot.stream.protocol";

    public const int MaxKeyLength = 64;

    public const int MaxValueLength = 4096;

    public static string? KeyProblem(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
        {
            return $"a setting key has 1..{MaxKeyLength} characters";
        }
        return key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-')
            ? null
            : $"setting key '{key}' may hold only a-z, 0-9, '.', '_' and '-'";
    }

    /// <summary>Why <paramref name="value"/> is not acceptable for <paramref name="key"/>; null when it is.</summary>
    public static string? ValueProblem(string key, string? value)
    {
        if (value is null)
        {
            return "a setting value must not be null";
        }
        if (value.Length > MaxValueLength)
        {
            return $"setting '{key}' has {value.Length} characters; at most {MaxValueLength} are allowed";
        }
        if (value.Any(char.IsControl))
        {
            return $"setting '{key}' must not contain control characters";
        }
        return key switch
        {
            DhcpMode when value is not ("off" or "proxy" or "full") => "dhcp.mode is off, proxy or full",
            DhcpRange when value.Length > 0 && ParseRange(value) is null => $"dhcp.range '{value}': expected FIRST-LAST IPv4 addresses, e.g. 10.0.0.100-10.0.0.199",
            DhcpInterface when value.Any(c => c is '/' or ' ') || value.Length > 15 => $"dhcp.interface '{value}' is not a network interface name",
            DhcpRouter when value.Length > 0 && ParseAddresses(value) is not { Count: <= 1 } => $"dhcp.router '{value}': expected one IPv4 address, or none",
            DhcpDns or DhcpNtp when value.Length > 0 && ParseAddresses(value) is null => $"{key} '{value}': expected IPv4 addresses separated by commas, or none",
            DhcpDomain when value.Length > 0 && !IsDomainName(value.Trim()) => $"dhcp.domain '{value}': expected a domain name such as lab.example, or none",
            BootStreamProtocol when value is not ("http" or "iscsi") => "boot.stream.protocol is http or iscsi",
            BootFileBios or BootFileX64 or BootFileArm64 when value.Contains("..", StringComparison.Ordinal) || value.StartsWith('/') =>
                $"{key} is a file name under the TFTP root (no '..', no leading '/')",
            _ => null,
        };
    }

    /// <summary>"FIRST-LAST" as two IPv4 addresses with FIRST &lt;= LAST; null when it is not that.</summary>
    public static (System.Net.IPAddress First, System.Net.IPAddress Last)? ParseRange(string text)
    {
        var parts = text.Trim().Split('-', 2);
        if (parts.Length == 2 && System.Net.IPAddress.TryParse(parts[0].Trim(), out var first) && System.Net.IPAddress.TryParse(parts[1].Trim(), out var last)
            && first.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && last.AddressFamily == first.AddressFamily
            && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(first.GetAddressBytes()) <= System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(last.GetAddressBytes()))
        {
            return (first, last);
        }
        return null;
    }

    /// <summary>IPv4 addresses separated by commas or spaces (empty for "none"); null when any is not one.</summary>
    public static IReadOnlyList<System.Net.IPAddress>? ParseAddresses(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals(None, StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var list = new List<System.Net.IPAddress>(parts.Length);
        foreach (var p in parts)
        {
            // IPAddress.TryParse takes "10" and "10.1" too (inet_aton); a setting wants the dotted quad.
            if (p.Count(c => c == '.') != 3 || !System.Net.IPAddress.TryParse(p, out var a) || a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            {
                return null;
            }
            list.Add(a);
        }
        return list.Count > 0 ? list : null;
    }

    /// <summary>"none", or a DNS name: labels of 1..63 letters, digits and '-', at most 253 characters.</summary>
    public static bool IsDomainName(string text) =>
        text.Equals(None, StringComparison.OrdinalIgnoreCase)
        || (text.Length is > 0 and <= 253 && text.TrimEnd('.').Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && l[0] != '-' && l[^1] != '-'));

    internal static void Check(string key, string? value)
    {
        if ((KeyProblem(key) ?? ValueProblem(key, value)) is { } problem)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, problem);
        }
    }
}
