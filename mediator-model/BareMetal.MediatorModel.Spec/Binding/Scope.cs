using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

/// <summary>What names an expression may use where it is written.</summary>
internal sealed class Scope
{
    /// <summary>The register array whose instance the code runs for: its registers need no index.</summary>
    public ArraySymbol? Instance { get; init; }

    /// <summary>Safe-point and mediation conditions: an unindexed array register means "every instance".</summary>
    public bool AllInstances { get; init; }

    /// <summary>The one array that "every instance" ranges over, fixed by the first such reference.</summary>
    public ArraySymbol? AllInstancesArray { get; set; }

    public bool AllowSafePoint { get; init; }

    /// <summary>In a doorbell's 'complete:' section: the command is already decoded.</summary>
    public bool InCompletion { get; set; }

    public DecodeSymbol? Decode { get; init; }

    /// <summary>Built-ins visible here (index, item, opcode, lba, count, tag, queued).</summary>
    public HashSet<string> Builtins { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, LetStmt> Locals { get; } = new(StringComparer.Ordinal);
}
