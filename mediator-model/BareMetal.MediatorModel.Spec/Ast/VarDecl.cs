using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record VarDecl(SourceLocation Location, string Name, Name Type, ulong Count, SourceLocation CountLocation, ulong Reset, string? Doc);
