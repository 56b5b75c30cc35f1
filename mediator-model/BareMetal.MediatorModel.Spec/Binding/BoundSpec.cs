using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Binding;

/// <summary>The validated spec. Only built when binding reported no error, so emitters may trust it.</summary>
public sealed class BoundSpec(DeviceDecl device)
{
    public DeviceDecl Device { get; } = device;
    public string Name => Device.Name;
    public List<RegisterSymbol> Registers { get; } = [];
    public List<ArraySymbol> Arrays { get; } = [];
    public List<StructSymbol> Structs { get; } = [];
    public List<VarSymbol> Vars { get; } = [];
    public List<DecodeSymbol> Decodes { get; } = [];
    public List<DoorbellSymbol> Doorbells { get; } = [];
    public List<HookSymbol> Hooks { get; } = [];
    public List<MachineSymbol> Machines { get; } = [];
    public SafePointDecl? SafePoint { get; set; }
    public InterruptDecl? Interrupt { get; set; }
    public List<MediationDecl> Mediation { get; } = [];

    /// <summary>Looked up by node, never enumerated (enumeration order would not be stable).</summary>
    public Dictionary<Expr, Resolution> Resolutions { get; } = new(ReferenceEqualityComparer.Instance);

    public Dictionary<Expr, ExprType> Types { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Register instances in table order (sorted by offset): what the generated lookup searches.</summary>
    public List<(RegisterSymbol Register, int Instance, int Offset)> Slots { get; } = [];

    /// <summary>For safe-point and mediation conditions over "every instance": the array they range over.</summary>
    public Dictionary<Expr, ArraySymbol> AllInstances { get; } = new(ReferenceEqualityComparer.Instance);

    public ExprType TypeOf(Expr e) => Types.TryGetValue(e, out var t) ? t : ExprType.Error;
}
