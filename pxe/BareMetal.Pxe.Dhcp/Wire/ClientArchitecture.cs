namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>
/// Option 93 values (RFC 4578 and the IANA "Processor Architecture Types" registry). RFC 4578 errata 4624:
/// older tables swap 7 and 9; firmware in the field sends both for x64 UEFI (OVMF/EDK2 sends 7), so both
/// are treated as x64.
/// </summary>
public enum ClientArchitecture : ushort
{
    /// <summary>Legacy BIOS PXE (and iPXE's undionly/ipxe.pxe).</summary>
    IntelX86Pc = 0,
    NecPc98 = 1,
    EfiItanium = 2,
    DecAlpha = 3,
    ArcX86 = 4,
    IntelLeanClient = 5,

    /// <summary>32-bit x86 UEFI.</summary>
    EfiIa32 = 6,

    /// <summary>x64 UEFI (IANA "EFI BC"; EDK2 sends 7 for x64).</summary>
    EfiX64 = 7,
    EfiXscale = 8,

    /// <summary>x64 UEFI per the original RFC 4578 table.</summary>
    EfiX86_64 = 9,
    EfiArm32 = 10,
    EfiArm64 = 11,

    /// <summary>32-bit x86 UEFI HTTP boot.</summary>
    EfiIa32Http = 15,

    /// <summary>x64 UEFI HTTP boot.</summary>
    EfiX64Http = 16,
    EfiBcHttp = 17,
    EfiArm32Http = 18,

    /// <summary>ARM64 UEFI HTTP boot.</summary>
    EfiArm64Http = 19,
}
