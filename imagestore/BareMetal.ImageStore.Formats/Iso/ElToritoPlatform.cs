namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>Platform id of an El Torito validation entry or section header.</summary>
public enum ElToritoPlatform : byte
{
    /// <summary>0: 80x86 BIOS.</summary>
    X86 = 0,
    PowerPc = 1,
    Mac = 2,
    /// <summary>0xEF: UEFI (the "EFI System Partition" image).</summary>
    Efi = 0xEF,
}
