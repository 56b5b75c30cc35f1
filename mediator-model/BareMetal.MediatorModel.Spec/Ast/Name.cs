using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>A name with where it was written, for diagnostics that point at a reference.</summary>
public readonly record struct Name(string Text, SourceLocation Location);
