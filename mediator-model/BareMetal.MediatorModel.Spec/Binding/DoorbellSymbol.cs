using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

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
