using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>A bare name: a register, variable, local, built-in (index, item, lba ...) or struct field in a decode table.</summary>
public sealed class NameExpr(SourceLocation location, string name) : Expr(location)
{
    public string Name { get; } = name;
}
