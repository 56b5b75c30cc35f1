using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public sealed class DecodeSymbol(DecodeDecl decl, int id)
{
    public DecodeDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Id { get; } = id;
    public StructSymbol? Struct { get; set; }
    public StructFieldSymbol? SelectorField { get; set; }
    public RegisterSymbol? SelectorRegister { get; set; }
    public Dictionary<string, LetStmt> Lets { get; } = new(StringComparer.Ordinal);
}
