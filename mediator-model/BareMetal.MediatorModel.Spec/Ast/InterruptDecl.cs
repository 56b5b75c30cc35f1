using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record InterruptDecl(SourceLocation Location, Expr Condition);
