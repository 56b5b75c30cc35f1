using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record StructDecl(SourceLocation Location, string Name, ulong Size, bool BigEndian, string? Doc, IReadOnlyList<StructFieldDecl> Fields);
