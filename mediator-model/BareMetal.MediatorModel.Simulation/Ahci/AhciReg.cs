namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>Port registers, by offset from the port's base (AHCI 1.3.1 section 3.3). One port is
/// modelled; the HBA-wide registers (CAP, GHC, IS) do not take part in I/O mediation.</summary>
public enum AhciReg
{
    /// <summary>Command List Base Address: 1 KiB-aligned, 32 command headers of 32 bytes.</summary>
    PxClb = 0x00,

    /// <summary>FIS Base Address: 256-byte receive area; the D2H register FIS lands at +0x40.</summary>
    PxFb = 0x08,

    /// <summary>Interrupt Status, write 1 to clear.</summary>
    PxIs = 0x10,

    /// <summary>Interrupt Enable: which PxIS bits raise the interrupt line.</summary>
    PxIe = 0x14,

    /// <summary>Command and Status: ST (bit 0) starts the command list engine, FRE (bit 4) FIS receive.</summary>
    PxCmd = 0x18,

    /// <summary>Task File Data: the device's status (BSY bit 7, DRQ bit 3, ERR bit 0).</summary>
    PxTfd = 0x20,

    /// <summary>SATA Active: one bit per outstanding NCQ tag, set by software before PxCI.</summary>
    PxSact = 0x34,

    /// <summary>Command Issue: software sets a slot's bit to issue it; the HBA clears it when done.</summary>
    PxCi = 0x38,
}
