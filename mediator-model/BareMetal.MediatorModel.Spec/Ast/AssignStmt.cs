using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary><c>target op value;</c> with op one of = |= &amp;= ^= += -=. Device-side: access kinds do not apply.</summary>
public sealed class AssignStmt(SourceLocation location, Expr target, string op, Expr value) : Stmt(location)
{
    public Expr Target { get; } = target;
    public string Op { get; } = op;
    public Expr Value { get; } = value;
}
