namespace BareMetal.Provisioning.Power.Orchestration;

/// <summary>A node and its driver. <paramref name="BmcKey"/> serialises nodes that share one BMC (default: the node).</summary>
public sealed record PowerTarget(string Node, IPowerDriver Driver, string? BmcKey = null)
{
    public string Key => BmcKey ?? Node;
}
