using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record DeviceDecl(SourceLocation Location, string Name, string? Doc, IReadOnlyList<object> Items);
