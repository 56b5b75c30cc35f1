namespace BareMetal.MediatorModel.Spec.Runtime;

/// <summary>
/// What every generated mediator offers its host: guest register accesses in, decoded commands and
/// interrupts out, completions back in, and the mediation predicates. The simulator's adapter maps
/// this onto its own mediator interface (see the README).
/// </summary>
public interface IGeneratedMediator
{
    /// <summary>The spec's device name.</summary>
    string DeviceName { get; }

    /// <summary>A guest read of <paramref name="width"/> bytes (1, 2, 4 or 8) at a register-space offset; unmapped offsets read 0.</summary>
    ulong ReadRegister(int offset, int width);

    /// <summary>A guest write; access kinds apply per bit (ro ignored, w1c clears, w1s sets, rc and ro keep).</summary>
    void WriteRegister(int offset, int width, ulong value);

    /// <summary>Raised once per command a doorbell delivers, after the state machines have moved.</summary>
    event EventHandler<DecodedCommand>? CommandDecoded;

    /// <summary>Raised when the interrupt line goes from low to high.</summary>
    event EventHandler? InterruptRaised;

    bool InterruptLine { get; }

    /// <summary>The spec's safe point: nothing in flight, handoff (de-virtualization) may happen now.</summary>
    bool AtSafePoint { get; }

    /// <summary>The mediator may issue its own (background-copy) commands now.</summary>
    bool CanMultiplex { get; }

    bool CanDevirtualize { get; }

    /// <summary>Whether commands of this kind go to the image server while the block is not local.</summary>
    bool ShouldRedirect(CommandKind kind);

    /// <summary>The I/O of <paramref name="command"/> is done: runs the spec's completion (status, interrupt bits, queue entries).</summary>
    void Complete(DecodedCommand command);

    /// <summary>Current state of a machine instance, by name.</summary>
    string StateOf(string machine, int instance);

    /// <summary>Registers, variables and machines back to their reset values.</summary>
    void Reset();
}
