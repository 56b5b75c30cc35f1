namespace BareMetal.MediatorModel.Spec.Diagnostics;

/// <summary>One compiler finding: every diagnostic is an error (the compiler emits nothing while any exists).</summary>
public sealed record Diagnostic(string File, SourceLocation Location, string Code, string Message)
{
    /// <summary>The compiler-style line that editors and CI logs understand: <c>file:line:col: error CODE: message</c>.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"{File}:{Location.Line}:{Location.Column}: error {Code}: {Message}");
}
