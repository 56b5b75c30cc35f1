using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Core.Security;

/// <summary>What access decisions need of one node: its assignment, pinned address and current deployment.</summary>
/// <param name="Mac">Normalised MAC.</param>
/// <param name="DeploymentId">The node's latest deployment (its keys derive from it); null when it has none.</param>
public sealed record NodeAccessEntry(string Mac, string? ImageName, int? ImageVersion, NodeMode Mode, string? PinnedAddress, long? DeploymentId)
{
    public string CompactMac => Macs.Compact(Mac);
}
