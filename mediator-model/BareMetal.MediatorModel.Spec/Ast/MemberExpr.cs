using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary><c>target.member</c>: a register's field, or a field of a memory view.</summary>
public sealed class MemberExpr(SourceLocation location, Expr target, string member, SourceLocation memberLocation) : Expr(location)
{
    public Expr Target { get; } = target;
    public string Member { get; } = member;
    public SourceLocation MemberLocation { get; } = memberLocation;
}
