using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record RegisterDecl(
    SourceLocation Location, string Name, ulong Offset, SourceLocation OffsetLocation, ulong Width, SourceLocation WidthLocation,
    Name Access, ulong Reset, SourceLocation ResetLocation, string? Doc, IReadOnlyList<FieldDecl> Fields);
