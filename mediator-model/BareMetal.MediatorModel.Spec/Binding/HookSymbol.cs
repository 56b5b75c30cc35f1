using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

public sealed class HookSymbol(HookDecl decl, RegisterSymbol register, bool onWrite)
{
    public HookDecl Decl { get; } = decl;
    public RegisterSymbol Register { get; } = register;
    public bool OnWrite { get; } = onWrite;
}
