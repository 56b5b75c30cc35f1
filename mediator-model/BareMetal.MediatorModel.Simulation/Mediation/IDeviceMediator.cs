using BareMetal.MediatorModel.Simulation.Ahci;

namespace BareMetal.MediatorModel.Simulation.Mediation;

/// <summary>The plug-in point for a device mediator (hand-written here, generated from a device
/// specification later). The VMM routes every trapped guest access to the device's registers here,
/// routes the physical device's interrupt here, and asks whether this is a safe point to leave.
/// Policy that is not about the device (the bitmap, where blocks come from, the copy) lives in
/// <see cref="StreamingState"/>, shared by every mediator.</summary>
public interface IDeviceMediator : IAhciPort, IInterruptSink
{
    /// <summary>Nothing in flight on either side: the guest has no issued command, the mediator has no
    /// command of its own on the device, no redirected read or copy write is pending.</summary>
    bool AtSafePoint { get; }

    /// <summary>Once at a safe point: writes the guest's view (PxCLB, PxFB, PxIE, PxCMD) into the
    /// physical registers, clears the interrupt bits the mediator raised, and stops intercepting.</summary>
    void Devirtualize();

    bool Devirtualized { get; }
}
