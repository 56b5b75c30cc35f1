using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public sealed class FieldSymbol(FieldDecl decl, int hi, int lo, Access access)
{
    public FieldDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Hi { get; } = hi;
    public int Lo { get; } = lo;
    public Access Access { get; } = access;
    public ulong Mask => Hi - Lo + 1 >= 64 ? ulong.MaxValue : ((1UL << (Hi - Lo + 1)) - 1) << Lo;
}
