namespace BareMetal.MediatorModel.Spec.Diagnostics;

/// <summary>A 1-based line and column in a spec file (columns count characters, a tab is one).</summary>
public readonly record struct SourceLocation(int Line, int Column)
{
    public override string ToString() => FormattableString.Invariant($"{Line}:{Column}");
}
