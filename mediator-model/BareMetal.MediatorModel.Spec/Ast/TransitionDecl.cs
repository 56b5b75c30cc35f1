using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary><see cref="From"/> is "*" for any state.</summary>
public sealed record TransitionDecl(
    SourceLocation Location, Name From, Name To, TriggerDecl? Trigger, Expr? Guard, IReadOnlyList<Stmt> Actions);
