using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>Trigger kinds: write REG, read REG, doorbell NAME, complete NAME. <see cref="Trigger"/> is null when omitted.</summary>
public sealed record TriggerDecl(SourceLocation Location, Name Kind, Name Target);
