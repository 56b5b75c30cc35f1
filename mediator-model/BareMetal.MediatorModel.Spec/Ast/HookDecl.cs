using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

public sealed record HookDecl(SourceLocation Location, Name Event, Name Register, IReadOnlyList<Stmt> Body);
