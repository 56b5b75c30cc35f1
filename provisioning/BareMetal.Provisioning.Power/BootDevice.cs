namespace BareMetal.Provisioning.Power;

/// <summary>Where the node boots next: its network card (PXE) or its first disk.</summary>
public enum BootDevice
{
    Network = 1,
    Disk = 2,
}
