using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record SafePointDecl(SourceLocation Location, Expr Condition);
