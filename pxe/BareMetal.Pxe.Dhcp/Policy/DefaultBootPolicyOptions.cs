namespace BareMetal.Pxe.Dhcp.Policy;

/// <summary>
/// Boot file names for <see cref="DefaultBootPolicy"/>. Defaults are the file names Debian's <c>ipxe</c>
/// package installs in /usr/lib/ipxe (ipxe.efi, snponly.efi, undionly.kpxe, undionly.kkpxe, ipxe.pxe,
/// ipxe.lkrn, ipxe.iso): it ships x86_64 EFI binaries only, so IA32 and ARM64 are off until configured.
/// </summary>
public sealed record DefaultBootPolicyOptions
{
    /// <summary>Base of our HTTP server; null = http://{server address}:8080.</summary>
    public Uri? HttpBaseUrl { get; init; }

    /// <summary>Legacy BIOS (option 93 = 0): iPXE's UNDI loader, which keeps the ROM's network driver.</summary>
    public string BiosBootFile { get; init; } = "undionly.kpxe";

    /// <summary>x64 UEFI (7 and 9): ipxe.efi has its own NIC drivers; snponly.efi uses the firmware's SNP (safer on odd NICs).</summary>
    public string X64BootFile { get; init; } = "ipxe.efi";

    /// <summary>IA32 UEFI (6): no Debian binary; null = ignore these clients.</summary>
    public string? Ia32BootFile { get; init; }

    /// <summary>ARM64 UEFI (11): e.g. an ipxe arm64 snp.efi; null = ignore these clients.</summary>
    public string? Arm64BootFile { get; init; }

    /// <summary>ARM32 UEFI (10): null = ignore these clients.</summary>
    public string? Arm32BootFile { get; init; }

    /// <summary>Path under <see cref="HttpBaseUrl"/> where UEFI HTTP boot clients fetch the EFI binaries (same names as above).</summary>
    public string HttpBootPath { get; init; } = "/boot/";
}
