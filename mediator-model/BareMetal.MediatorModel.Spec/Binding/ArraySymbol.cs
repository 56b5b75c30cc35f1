using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public sealed class ArraySymbol(ArrayDecl decl, int count, int baseOffset, int stride)
{
    public ArrayDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Count { get; } = count;
    public int Base { get; } = baseOffset;
    public int Stride { get; } = stride;
    public List<RegisterSymbol> Registers { get; } = [];
}
