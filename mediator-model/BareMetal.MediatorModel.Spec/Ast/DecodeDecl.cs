using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record DecodeDecl(
    SourceLocation Location, string Name, Name? Struct, Name Selector, Expr? When, IReadOnlyList<LetStmt> Lets,
    IReadOnlyList<DecodeCase> Cases, string? Doc);
