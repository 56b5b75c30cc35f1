using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Mediation;

namespace BareMetal.MediatorModel.Simulation.Generated;

/// <summary>What a node run needs of the VMM's mediator beyond <see cref="IDeviceMediator"/>: start the
/// copy, deliver completions to the guest, report the copy and the handoff. The hand-written
/// <see cref="AhciMediator"/> and the adapter around the spec-generated one
/// (<see cref="GeneratedAhciMediator"/>) both implement it, so a scenario can pick either
/// (<c>vmm.mediator</c>).</summary>
internal interface IStreamingMediator : IDeviceMediator
{
    /// <summary>The guest's interrupt handler, to which emulated completions are injected.</summary>
    IInterruptSink? GuestInterrupt { get; set; }

    /// <summary>Raised once the physical port is handed back.</summary>
    Action? OnDevirtualized { get; set; }

    bool CopyComplete { get; }

    long CopyCompleteTime { get; }

    SafePointRecord? SafePoint { get; }

    long Exits { get; }

    long Redirected { get; }

    long CacheServed { get; }

    long HeldCommands { get; }

    /// <summary>Starts the prefetch and the background copy; called when the VMM has booted.</summary>
    void Start();
}
