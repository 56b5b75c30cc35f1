using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed class IfStmt(SourceLocation location, Expr condition, IReadOnlyList<Stmt> then, IReadOnlyList<Stmt> otherwise) : Stmt(location)
{
    public Expr Condition { get; } = condition;
    public IReadOnlyList<Stmt> Then { get; } = then;
    public IReadOnlyList<Stmt> Else { get; } = otherwise;
}
