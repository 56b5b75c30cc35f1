namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>One entry of PXE sub-option 9 (PXE_BOOT_MENU): a boot server type and its menu text.</summary>
public readonly record struct PxeBootMenuItem(ushort Type, string Description);
