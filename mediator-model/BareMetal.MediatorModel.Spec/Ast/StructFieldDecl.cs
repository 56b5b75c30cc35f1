using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record StructFieldDecl(SourceLocation Location, string Name, ulong Offset, Name Type, ulong? Hi, ulong? Lo, string? Doc);
