using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public sealed class VarSymbol(VarDecl decl, int bits, int count)
{
    public VarDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Bits { get; } = bits;
    /// <summary>0 for a scalar.</summary>
    public int Count { get; } = count;
    public ulong Mask => Bits == 64 ? ulong.MaxValue : (1UL << Bits) - 1;
}
