using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public sealed class RegisterSymbol(RegisterDecl decl, ArraySymbol? array, int offset, int widthBits, Access access)
{
    public RegisterDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public ArraySymbol? Array { get; } = array;
    /// <summary>Offset from the array instance's base, or the absolute offset of a global register.</summary>
    public int Offset { get; } = offset;
    public int WidthBits { get; } = widthBits;
    public int Bytes => WidthBits / 8;
    public Access Access { get; } = access;
    public ulong Reset => Decl.Reset;
    public List<FieldSymbol> Fields { get; } = [];
    /// <summary>Index into the generated register table (the first instance, for arrays).</summary>
    public int FirstSlot { get; set; }
    public int Instances => Array?.Count ?? 1;
    public ulong WidthMask => WidthBits == 64 ? ulong.MaxValue : (1UL << WidthBits) - 1;

    public int AbsoluteOffset(int instance) => Array is null ? Offset : Array.Base + (instance * Array.Stride) + Offset;

    public bool Readable => Access != Access.Wo || Fields.Any(f => f.Access != Access.Wo);

    public bool Writable => Access is not (Access.Ro or Access.Rc) || Fields.Any(f => f.Access is not (Access.Ro or Access.Rc));

    /// <summary>Bits of the register with <paramref name="kind"/> access (fields override the register's own kind).</summary>
    public ulong MaskOf(Access kind)
    {
        ulong covered = 0, result = 0;
        foreach (var f in Fields)
        {
            covered |= f.Mask;
            if (f.Access == kind)
            {
                result |= f.Mask;
            }
        }
        if (Access == kind)
        {
            result |= WidthMask & ~covered;
        }
        return result & WidthMask;
    }
}
