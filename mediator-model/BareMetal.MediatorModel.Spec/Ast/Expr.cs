using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

// The expression tree is one closed family; its few small records live together so that the whole
// shape of the language's expressions reads on one screen.

/// <summary>An expression. Reference identity matters: the binder keys its resolutions on the node.</summary>
public abstract class Expr(SourceLocation location)
{
    public SourceLocation Location { get; } = location;
}

/// <summary>An integer literal (all arithmetic is unsigned 64-bit and wraps).</summary>
public sealed class IntLiteral(SourceLocation location, ulong value) : Expr(location)
{
    public ulong Value { get; } = value;
}

/// <summary>A bare name: a register, variable, local, built-in (index, item, lba ...) or struct field in a decode table.</summary>
public sealed class NameExpr(SourceLocation location, string name) : Expr(location)
{
    public string Name { get; } = name;
}

/// <summary><c>target.member</c>: a register's field, or a field of a memory view.</summary>
public sealed class MemberExpr(SourceLocation location, Expr target, string member, SourceLocation memberLocation) : Expr(location)
{
    public Expr Target { get; } = target;
    public string Member { get; } = member;
    public SourceLocation MemberLocation { get; } = memberLocation;
}

/// <summary><c>target[index]</c>: one instance of a register array, or one element of an array variable.</summary>
public sealed class IndexExpr(SourceLocation location, Expr target, Expr index) : Expr(location)
{
    public Expr Target { get; } = target;
    public Expr Index { get; } = index;
}

public sealed class UnaryExpr(SourceLocation location, string op, Expr operand) : Expr(location)
{
    public string Op { get; } = op;
    public Expr Operand { get; } = operand;
}

public sealed class BinaryExpr(SourceLocation location, string op, Expr left, Expr right) : Expr(location)
{
    public string Op { get; } = op;
    public Expr Left { get; } = left;
    public Expr Right { get; } = right;
}

public sealed class ConditionalExpr(SourceLocation location, Expr condition, Expr whenTrue, Expr whenFalse) : Expr(location)
{
    public Expr Condition { get; } = condition;
    public Expr WhenTrue { get; } = whenTrue;
    public Expr WhenFalse { get; } = whenFalse;
}

/// <summary>Stands in for an expression that did not parse, so later passes need no null checks.</summary>
public sealed class ErrorExpr(SourceLocation location) : Expr(location);
