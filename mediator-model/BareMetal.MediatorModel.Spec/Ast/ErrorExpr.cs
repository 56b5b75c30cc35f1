using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>Stands in for an expression that did not parse, so later passes need no null checks.</summary>
public sealed class ErrorExpr(SourceLocation location) : Expr(location);
