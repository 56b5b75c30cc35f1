using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>An integer literal (all arithmetic is unsigned 64-bit and wraps).</summary>
public sealed class IntLiteral(SourceLocation location, ulong value, string text) : Expr(location)
{
    public ulong Value { get; } = value;

    /// <summary>As written (0x4000_0000, 24), so that docs and diagrams show the author's notation.</summary>
    public string Text { get; } = text;
}
