using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

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
