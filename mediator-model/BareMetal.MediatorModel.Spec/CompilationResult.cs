using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec;

/// <summary>Diagnostics, and the generated files when there were none.</summary>
public sealed record CompilationResult(IReadOnlyList<Diagnostic> Diagnostics, GeneratedOutputs? Outputs)
{
    public bool Succeeded => Outputs is not null;
}
