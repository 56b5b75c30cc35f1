namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>What a driver sees of an AHCI port: 32-bit register reads and writes. The guest's
/// driver talks to the physical HBA through this, or, while virtualized, to the mediator that traps
/// every access.</summary>
public interface IAhciPort
{
    uint Read(AhciReg register);

    void Write(AhciReg register, uint value);
}
