namespace BareMetal.MediatorModel.Spec.Tooling;

/// <summary>A refused command-line request (missing file, unknown output format, no Graphviz): one line, no stack trace.</summary>
public sealed class SpecToolException(string message) : Exception(message);
