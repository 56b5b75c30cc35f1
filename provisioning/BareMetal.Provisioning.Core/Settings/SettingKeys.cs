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

    internal static void Check(string key, string? value)
    {
        if ((KeyProblem(key) ?? ValueProblem(key, value)) is { } problem)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, problem);
        }
    }
}
