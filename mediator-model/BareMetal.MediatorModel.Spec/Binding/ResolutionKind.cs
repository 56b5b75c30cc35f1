using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public enum ResolutionKind
{
    /// <summary>A register; <see cref="Resolution.Index"/> null means the context's instance (or a global register).</summary>
    Register,
    RegisterField,
    Var,
    /// <summary>A scalar let.</summary>
    Local,
    /// <summary>A let that names a structure in guest memory (its value is the address).</summary>
    View,
    ViewField,
    /// <summary>A field of the struct a decode table reads.</summary>
    DecodeField,
    DecodeLet,
    /// <summary>index, item, opcode, lba, count, tag, queued.</summary>
    Builtin,
    SafePoint,
}
