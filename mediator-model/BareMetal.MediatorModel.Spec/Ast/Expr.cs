using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>An expression. Reference identity matters: the binder keys its resolutions on the node.</summary>
public abstract class Expr(SourceLocation location)
{
    public SourceLocation Location { get; } = location;
}
