using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record ArrayDecl(
    SourceLocation Location, string Name, ulong Count, SourceLocation CountLocation, ulong Base, ulong Stride, SourceLocation StrideLocation,
    string? Doc, IReadOnlyList<RegisterDecl> Registers);
