namespace BareMetal.Interop.Tests.Dhcp;

public enum QemuFirmware
{
    /// <summary>SeaBIOS with QEMU's iPXE option ROM (ipxe-qemu).</summary>
    Bios,

    /// <summary>OVMF (UEFI x64): QEMU's iPXE EFI ROM first, then EDK2's own PXE and HTTP boot.</summary>
    Uefi,

    /// <summary>
    /// OVMF with a virtio NIC and no option ROM: EDK2's own PXE client, which fetches its boot file
    /// over TFTP (the path real UEFI servers take to reach iPXE).
    /// </summary>
    UefiNativePxe,
}
