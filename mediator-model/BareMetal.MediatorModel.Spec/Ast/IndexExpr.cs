using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary><c>target[index]</c>: one instance of a register array, or one element of an array variable.</summary>
public sealed class IndexExpr(SourceLocation location, Expr target, Expr index) : Expr(location)
{
    public Expr Target { get; } = target;
    public Expr Index { get; } = index;
}
