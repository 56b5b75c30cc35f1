using System.Net;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Dhcp.Policy;

/// <summary>
/// What a booting client told us, as the policy sees it.
/// </summary>
/// <param name="Mac">Lower-case colon-separated hex ("52:54:00:12:34:56").</param>
/// <param name="Architecture">Option 93 (or the "Arch:" field of option 60 when 93 is missing); null when neither says.</param>
/// <param name="UserClasses">Option 77 items ("iPXE" for iPXE).</param>
/// <param name="VendorClass">Option 60 ("PXEClient:Arch:00007:UNDI:003016", "HTTPClient:Arch:00016:UNDI:003001").</param>
/// <param name="Uuid">Option 97, when sent.</param>
/// <param name="IsIpxe">User class "iPXE" or option 175 present: the client already runs iPXE.</param>
/// <param name="ServerAddress">Our address on the interface the request came in on.</param>
public sealed record BootRequest(
    string Mac,
    ClientArchitecture? Architecture,
    IReadOnlyList<string> UserClasses,
    string? VendorClass,
    Guid? Uuid,
    bool IsIpxe,
    IPAddress ServerAddress)
{
    /// <summary>Vendor class prefix of PXE ROMs (PXE 2.1) and iPXE.</summary>
    public const string PxeClientPrefix = "PXEClient";

    /// <summary>Vendor class prefix of UEFI HTTP boot clients (UEFI 2.5+ 24.7).</summary>
    public const string HttpClientPrefix = "HTTPClient";

    public bool IsHttpClient => VendorClass?.StartsWith(HttpClientPrefix, StringComparison.Ordinal) == true;

    public bool IsPxeClient => VendorClass?.StartsWith(PxeClientPrefix, StringComparison.Ordinal) == true;

    public FirmwareKind Firmware => IsIpxe ? FirmwareKind.Ipxe
        : IsHttpClient ? FirmwareKind.UefiHttp
        : !IsPxeClient ? FirmwareKind.Other
        : Architecture == ClientArchitecture.IntelX86Pc ? FirmwareKind.Bios
        : Architecture is null ? FirmwareKind.Other
        : FirmwareKind.Uefi;

    /// <summary>Builds the request from a decoded packet.</summary>
    public static BootRequest From(DhcpPacket p, IPAddress serverAddress)
    {
        var vendor = p.VendorClass;
        var userClasses = p.UserClasses;
        ClientArchitecture? arch = p.Architectures is [var first, ..] ? first : ArchitectureFromVendorClass(vendor);
        var ipxe = p.Has(DhcpOptionCode.IpxeEncapsulated) || userClasses.Contains("iPXE", StringComparer.Ordinal);
        return new BootRequest(p.Mac, arch, userClasses, vendor, p.ClientUuid, ipxe, serverAddress);
    }

    /// <summary>"PXEClient:Arch:00007:UNDI:003016" -> 7. Some ROMs omit option 93 but fill this in.</summary>
    internal static ClientArchitecture? ArchitectureFromVendorClass(string? vendor)
    {
        const string Marker = ":Arch:";
        if (vendor is null)
        {
            return null;
        }
        var at = vendor.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0 || at + Marker.Length + 5 > vendor.Length)
        {
            return null;
        }
        return ushort.TryParse(vendor.AsSpan(at + Marker.Length, 5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? (ClientArchitecture)v
            : null;
    }
}
