namespace BareMetal.MediatorModel.Spec.Runtime;

/// <summary>
/// A guest command the mediator interpreted at a doorbell: what the host (simulator) needs to redirect
/// or multiplex it, plus the values the spec's completion section needs later (<see cref="Captures"/>).
/// Hand it back to <see cref="IGeneratedMediator.Complete"/> when the I/O is done.
/// </summary>
public sealed class DecodedCommand(
    int doorbell, string doorbellName, int instance, ulong item, DecodeResult decoded, IReadOnlyList<ulong> captures) : EventArgs
{
    /// <summary>Index of the doorbell in the spec (declaration order).</summary>
    public int Doorbell { get; } = doorbell;
    public string DoorbellName { get; } = doorbellName;
    /// <summary>Register-array instance (AHCI port, NVMe queue); 0 for a global doorbell.</summary>
    public int Instance { get; } = instance;
    /// <summary>Command slot (bits doorbell), ring index (ring doorbell) or written value (write doorbell).</summary>
    public ulong Item { get; } = item;
    public string Table { get; } = decoded.Table;
    public string Name { get; } = decoded.Name;
    public CommandKind Kind { get; } = decoded.Kind;
    public ulong Opcode { get; } = decoded.Opcode;
    public ulong Lba { get; } = decoded.Lba;
    public ulong Count { get; } = decoded.Count;
    public ulong Tag { get; } = decoded.Tag;
    public bool Queued { get; } = decoded.Queued;
    public IReadOnlyList<ulong> Captures { get; } = captures;

    public override string ToString() =>
        FormattableString.Invariant($"{DoorbellName}[{Instance}].{Item}: {Name} {Kind} lba={Lba} count={Count} tag={Tag}{(Queued ? " queued" : "")}");
}
