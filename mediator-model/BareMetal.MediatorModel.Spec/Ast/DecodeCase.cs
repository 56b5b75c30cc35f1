using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>One opcode line; <see cref="IsDefault"/> for the <c>default</c> line (Opcode unused).</summary>
public sealed record DecodeCase(
    SourceLocation Location, bool IsDefault, ulong Opcode, string Name, Name Kind,
    Expr? Lba, Expr? Count, Expr? Tag, bool Queued, IReadOnlyList<Stmt> Actions);
