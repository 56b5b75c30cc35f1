using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public sealed class StructFieldSymbol(StructFieldDecl decl, int offset, int bytes, int hi, int lo)
{
    public StructFieldDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Offset { get; } = offset;
    public int Bytes { get; } = bytes;
    public int Hi { get; } = hi;
    public int Lo { get; } = lo;
    public bool IsWhole => Lo == 0 && Hi == (Bytes * 8) - 1;
    public ulong ValueMask => Hi - Lo + 1 >= 64 ? ulong.MaxValue : (1UL << (Hi - Lo + 1)) - 1;
}
