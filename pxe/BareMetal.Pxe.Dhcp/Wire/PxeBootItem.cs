namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>PXE sub-option 71 (PXE_BOOT_ITEM): the boot server type and layer a client asks for or is given.</summary>
public readonly record struct PxeBootItem(ushort Type, ushort Layer);
