using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record FieldDecl(SourceLocation Location, string Name, ulong Hi, ulong Lo, Name? Access, string? Doc);
