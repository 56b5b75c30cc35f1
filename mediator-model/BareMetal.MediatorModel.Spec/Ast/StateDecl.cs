using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record StateDecl(SourceLocation Location, string Name, string? Doc);
