using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

// The bound model: what the emitters read. Lists keep declaration order, so every emitter walks the
// spec in the order it was written and the output is byte-identical run after run.

/// <summary>Access kinds, per bit: how a guest write or read changes the stored value.</summary>
public enum Access
{
    /// <summary>Read/write.</summary>
    Rw,
    /// <summary>Read-only: guest writes are ignored.</summary>
    Ro,
    /// <summary>Write-only: reads return 0 (the value is kept for the device).</summary>
    Wo,
    /// <summary>Write 1 to clear (interrupt status).</summary>
    W1c,
    /// <summary>Write 1 to set; writing 0 does nothing (AHCI PxCI, PxSACT).</summary>
    W1s,
    /// <summary>Clear on read; writes ignored.</summary>
    Rc,
}

public sealed class ArraySymbol(ArrayDecl decl, int count, int baseOffset, int stride)
{
    public ArrayDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Count { get; } = count;
    public int Base { get; } = baseOffset;
    public int Stride { get; } = stride;
    public List<RegisterSymbol> Registers { get; } = [];
}

public sealed class FieldSymbol(FieldDecl decl, int hi, int lo, Access access)
{
    public FieldDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Hi { get; } = hi;
    public int Lo { get; } = lo;
    public Access Access { get; } = access;
    public ulong Mask => Hi - Lo + 1 >= 64 ? ulong.MaxValue : ((1UL << (Hi - Lo + 1)) - 1) << Lo;
}

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

public sealed class StructSymbol(StructDecl decl, int size)
{
    public StructDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Size { get; } = size;
    public bool BigEndian => Decl.BigEndian;
    public List<StructFieldSymbol> Fields { get; } = [];
}

public sealed class VarSymbol(VarDecl decl, int bits, int count)
{
    public VarDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Bits { get; } = bits;
    /// <summary>0 for a scalar.</summary>
    public int Count { get; } = count;
    public ulong Mask => Bits == 64 ? ulong.MaxValue : (1UL << Bits) - 1;
}

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

public enum DoorbellMode
{
    Bits,
    Ring,
    Write,
}

public sealed class DoorbellSymbol(DoorbellDecl decl, int id, RegisterSymbol register, DoorbellMode mode)
{
    public DoorbellDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public int Id { get; } = id;
    public RegisterSymbol Register { get; } = register;
    public DoorbellMode Mode { get; } = mode;
    public VarSymbol? RingVar { get; set; }
    /// <summary>Lets of the doorbell body, in order: captured into the decoded command for its completion.</summary>
    public List<LetStmt> BodyLets { get; } = [];
    public List<LetStmt> CompletionLets { get; } = [];
}

public sealed class HookSymbol(HookDecl decl, RegisterSymbol register, bool onWrite)
{
    public HookDecl Decl { get; } = decl;
    public RegisterSymbol Register { get; } = register;
    public bool OnWrite { get; } = onWrite;
}

public enum TriggerKind
{
    Write,
    Read,
    Doorbell,
    Complete,
}

public sealed class TransitionSymbol(TransitionDecl decl, int from, int to, TriggerKind trigger, RegisterSymbol? register, DoorbellSymbol? doorbell)
{
    public TransitionDecl Decl { get; } = decl;
    /// <summary>-1 for any state.</summary>
    public int From { get; } = from;
    public int To { get; } = to;
    public TriggerKind Trigger { get; } = trigger;
    public RegisterSymbol? Register { get; } = register;
    public DoorbellSymbol? Doorbell { get; } = doorbell;
}

public sealed class MachineSymbol(MachineDecl decl, ArraySymbol? per)
{
    public MachineDecl Decl { get; } = decl;
    public string Name => Decl.Name;
    public ArraySymbol? Per { get; } = per;
    public int Instances => Per?.Count ?? 1;
    public List<StateDecl> States { get; } = [];
    public int Initial { get; set; }
    public List<TransitionSymbol> Transitions { get; } = [];
}
