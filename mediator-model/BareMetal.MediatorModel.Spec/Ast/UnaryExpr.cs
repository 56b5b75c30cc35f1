using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed class UnaryExpr(SourceLocation location, string op, Expr operand) : Expr(location)
{
    public string Op { get; } = op;
    public Expr Operand { get; } = operand;
}
