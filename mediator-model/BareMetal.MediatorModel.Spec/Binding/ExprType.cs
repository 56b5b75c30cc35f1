namespace BareMetal.MediatorModel.Spec.Binding;

/// <summary>Expression types: 64-bit unsigned numbers, conditions, and memory views (usable only before '.').</summary>
public enum ExprType
{
    Error,
    Int,
    Bool,
    View,
}
