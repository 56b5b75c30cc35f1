namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>A command as fetched from memory: what I/O interpretation hands to the policy.</summary>
public readonly record struct DecodedCommand(int Slot, CommandFis Fis, long Buffer, long Bytes)
{
    public long Offset => Fis.Lba * AhciBits.SectorBytes;
}
