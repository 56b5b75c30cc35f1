using System.Collections.Concurrent;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Core.Security;

/// <summary>
/// The nodes' assignments and current deployments in memory, so that access decisions on hot paths (an
/// NBD handshake, an HTTP disk request) never wait for the database, and a stranger's guesses cost a
/// dictionary lookup. Loaded at start, then kept exact by <see cref="Apply"/>, which the change feed calls
/// synchronously for every committed change (<see cref="ProvisioningEventHub.Committed"/>), so it never
/// lags what the database says. Keyed by the compact MAC of export names ("525400123456").
/// </summary>
public sealed class NodeAccessTable
{
    private readonly ConcurrentDictionary<string, NodeAccessEntry> _byCompact = new(StringComparer.Ordinal);

    public int Count => _byCompact.Count;

    public void Load(IEnumerable<Node> nodes, IEnumerable<Deployment> current)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(current);
        var deployments = current.GroupBy(d => d.Mac).ToDictionary(g => g.Key, g => g.Max(d => d.Id), StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            Upsert(n, deployments.TryGetValue(n.Mac, out var id) ? id : null);
        }
    }

    /// <summary>Follows one committed change (nodes added, changed or removed; deployments started or moved).</summary>
    public void Apply(ProvisioningChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        switch (change.Kind)
        {
            case ProvisioningChangeKind.NodeAdded or ProvisioningChangeKind.NodeChanged when change.Node is { } node:
                Upsert(node, null);
                break;
            case ProvisioningChangeKind.NodeRemoved when change.Node is { } node:
                _byCompact.TryRemove(node.CompactMac, out _);
                break;
            case ProvisioningChangeKind.DeploymentChanged when change.Deployment is { } d:
                _byCompact.AddOrUpdate(Macs.Compact(d.Mac),
                    _ => new NodeAccessEntry(d.Mac, null, null, NodeMode.None, null, d.Id),
                    // Ids only grow: a late notice of an older deployment never takes the newer one's place.
                    (_, e) => e.DeploymentId is { } id && id > d.Id ? e : e with { DeploymentId = d.Id });
                break;
            default:
                break;
        }
    }

    public NodeAccessEntry? ByCompact(string compactMac) => _byCompact.GetValueOrDefault(compactMac);

    public NodeAccessEntry? ByMac(string mac) => Macs.Normalise(mac) is { } m ? ByCompact(Macs.Compact(m)) : null;

    private void Upsert(Node node, long? deploymentId) =>
        _byCompact.AddOrUpdate(node.CompactMac,
            _ => new NodeAccessEntry(node.Mac, node.ImageName, node.ImageVersion, node.Mode, node.PinnedAddress, deploymentId),
            (_, e) => e with { ImageName = node.ImageName, ImageVersion = node.ImageVersion, Mode = node.Mode, PinnedAddress = node.PinnedAddress, DeploymentId = Max(e.DeploymentId, deploymentId) });

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
