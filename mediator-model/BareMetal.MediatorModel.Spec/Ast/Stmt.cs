using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

// Statements of action blocks (hooks, doorbells, completions, transitions, decode cases).

public abstract class Stmt(SourceLocation location)
{
    public SourceLocation Location { get; } = location;
}

/// <summary><c>target op value;</c> with op one of = |= &amp;= ^= += -=. Device-side: access kinds do not apply.</summary>
public sealed class AssignStmt(SourceLocation location, Expr target, string op, Expr value) : Stmt(location)
{
    public Expr Target { get; } = target;
    public string Op { get; } = op;
    public Expr Value { get; } = value;
}

public sealed class IfStmt(SourceLocation location, Expr condition, IReadOnlyList<Stmt> then, IReadOnlyList<Stmt> otherwise) : Stmt(location)
{
    public Expr Condition { get; } = condition;
    public IReadOnlyList<Stmt> Then { get; } = then;
    public IReadOnlyList<Stmt> Else { get; } = otherwise;
}

/// <summary><c>let name = expr;</c> or a memory view <c>let name = Struct at address;</c>.</summary>
public sealed class LetStmt(SourceLocation location, string name, string? structName, SourceLocation structLocation, Expr value) : Stmt(location)
{
    public string Name { get; } = name;
    public string? StructName { get; } = structName;
    public SourceLocation StructLocation { get; } = structLocation;
    public Expr Value { get; } = value;
}

/// <summary><c>decode table(view);</c> or, for a table over registers, <c>decode table;</c>.</summary>
public sealed class DecodeStmt(SourceLocation location, string table, string? view, SourceLocation viewLocation) : Stmt(location)
{
    public string Table { get; } = table;
    public string? View { get; } = view;
    public SourceLocation ViewLocation { get; } = viewLocation;
}
