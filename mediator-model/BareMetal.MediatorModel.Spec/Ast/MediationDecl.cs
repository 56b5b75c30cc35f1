using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

/// <summary>interpret DOORBELL... | redirect KIND... | multiplex when EXPR | devirtualize when EXPR.</summary>
public sealed record MediationDecl(SourceLocation Location, Name Point, IReadOnlyList<Name> Names, Expr? When);
