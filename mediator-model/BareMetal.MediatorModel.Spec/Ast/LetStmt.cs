using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary><c>let name = expr;</c> or a memory view <c>let name = Struct at address;</c>.</summary>
public sealed class LetStmt(SourceLocation location, string name, string? structName, SourceLocation structLocation, Expr value) : Stmt(location)
{
    public string Name { get; } = name;
    public string? StructName { get; } = structName;
    public SourceLocation StructLocation { get; } = structLocation;
    public Expr Value { get; } = value;
}
