namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>Whoever the port's interrupt line is routed to: the guest's ISR on bare metal, the VMM
/// (which may inject a virtual interrupt) while virtualized.</summary>
public interface IInterruptSink
{
    void OnInterrupt();
}
