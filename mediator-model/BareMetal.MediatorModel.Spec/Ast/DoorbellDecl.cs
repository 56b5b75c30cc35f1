using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>Mode is bits (each newly set bit is a command slot), ring (a tail index into a queue) or write (each write is a command).</summary>
public sealed record DoorbellDecl(
    SourceLocation Location, string Name, Name Register, Name Mode, Name? RingVar, Expr? RingSize,
    IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt> Completion, string? Doc);
