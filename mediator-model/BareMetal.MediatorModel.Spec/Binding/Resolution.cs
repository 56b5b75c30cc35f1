using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

/// <summary>What a name, member or index expression refers to; the emitters translate it.</summary>
public sealed record Resolution(
    ResolutionKind Kind,
    RegisterSymbol? Register = null,
    FieldSymbol? Field = null,
    VarSymbol? Var = null,
    Expr? Index = null,
    string? Name = null,
    StructSymbol? Struct = null,
    StructFieldSymbol? StructField = null,
    LetStmt? Let = null);
