namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>The ATA command codes a mediator must tell apart (ATA/ATAPI-8 ACS).</summary>
public enum AtaCommand : byte
{
    ReadDmaExt = 0x25,
    WriteDmaExt = 0x35,
    ReadFpdmaQueued = 0x60,
    WriteFpdmaQueued = 0x61,
    FlushCacheExt = 0xEA,
    Identify = 0xEC,
}
