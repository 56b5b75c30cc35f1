using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record MachineDecl(
    SourceLocation Location, string Name, Name? PerArray, Name? Initial, IReadOnlyList<StateDecl> States,
    IReadOnlyList<TransitionDecl> Transitions, string? Doc);
