using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

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
