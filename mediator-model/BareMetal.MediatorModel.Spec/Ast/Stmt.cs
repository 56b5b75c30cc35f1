using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public abstract class Stmt(SourceLocation location)
{
    public SourceLocation Location { get; } = location;
}
