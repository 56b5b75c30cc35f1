using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public sealed class StructSymbol(StructDecl decl, int size)
{
    public StructDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Size { get; } = size;
    public bool BigEndian => Decl.BigEndian;
    public List<StructFieldSymbol> Fields { get; } = [];
}
