using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary><c>decode table(view);</c> or, for a table over registers, <c>decode table;</c>.</summary>
public sealed class DecodeStmt(SourceLocation location, string table, string? view, SourceLocation viewLocation) : Stmt(location)
{
    public string Table { get; } = table;
    public string? View { get; } = view;
    public SourceLocation ViewLocation { get; } = viewLocation;
}
