using System.Net;
using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Core.Security;

/// <summary>
/// Who may open a node's exports, fetch its boot script and move its deployment. Pure: the node table,
/// the keys and the address verifier are given.
/// <list type="bullet">
/// <item>A per-node export (<c>image[.vN]@node</c>) opens for a registered node that is assigned to that
/// image in a mode that streams it, with its current deployment's key (or, over iSCSI, after CHAP with
/// that deployment's secret), from an address that is the node's own.</item>
/// <item>A boot script goes only to the node's own address (the first fetch cannot carry a key: it
/// comes from DHCP, which every host on the segment hears).</item>
/// <item>A callback (deploy-done, deploy-failed, os-up, events) needs the deployment's key, or the
/// node's own address.</item>
/// </list>
/// "The node's own address" is <see cref="AddressVerdict.Match"/>. With <c>requireVerifiedAddress</c>
/// off (a routed segment where the server sees neither lease nor neighbour), an unknown address is let
/// through when the key is right; a contradicted one (<see cref="AddressVerdict.Mismatch"/>) never is.
/// </summary>
public sealed class NodeAccessPolicy(NodeAccessTable nodes, NodeKeys keys, INodeAddressVerifier addresses, bool requireVerifiedAddress = true)
{
    /// <summary>The secrets of the node's current deployment; null when it has none.</summary>
    public NodeSecrets? SecretsFor(string mac)
    {
        if (nodes.ByMac(mac) is not { DeploymentId: { } id } e)
        {
            return null;
        }
        return new NodeSecrets(id, keys.ExportKey(e.Mac, id), e.CompactMac, keys.ChapSecret(e.Mac, id), keys.TargetChapSecret(e.Mac, id));
    }

    /// <summary>May <paramref name="client"/> open node <paramref name="node"/>'s overlay of <paramref name="imageName"/>?</summary>
    /// <param name="node">The compact MAC from the export name.</param>
    /// <param name="version">The version in the export name; null for the plain (newest) name.</param>
    /// <param name="key">The key given in the name; ignored when <paramref name="chapProven"/>.</param>
    /// <param name="chapProven">The front-end already checked this deployment's CHAP secret (iSCSI).</param>
    public AccessDecision Export(string node, string imageName, int? version, string? key, IPAddress client, bool chapProven = false)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(imageName);
        ArgumentNullException.ThrowIfNull(client);
        if (nodes.ByCompact(node) is not { } e)
        {
            return AccessDecision.Refuse($"no node {node} is registered");
        }
        if (e.Mode is not (NodeMode.Stream or NodeMode.Devirt))
        {
            return AccessDecision.Refuse($"node {e.Mac} is in mode {e.Mode.ToString().ToLowerInvariant()}, which reads no overlay", e.Mac);
        }
        if (!string.Equals(e.ImageName, imageName, StringComparison.Ordinal))
        {
            return AccessDecision.Refuse($"node {e.Mac} is not assigned to image '{imageName}'", e.Mac);
        }
        if (e.ImageVersion is { } pinned && version != pinned)
        {
            return AccessDecision.Refuse($"node {e.Mac} is pinned to version {pinned} of '{imageName}'", e.Mac);
        }
        if (!chapProven)
        {
            if (e.DeploymentId is not { } id)
            {
                return AccessDecision.Refuse($"node {e.Mac} has no deployment (its boot script hands out the key)", e.Mac);
            }
            if (!NodeKeys.Matches(key, keys.ExportKey(e.Mac, id)))
            {
                return AccessDecision.Refuse(key is null ? "no key in the export name (the node's boot script gives name@node~key)" : "wrong key for this deployment", e.Mac);
            }
        }
        return FromNode(e, client, keyed: true, "opened by its node");
    }

    /// <summary>May <paramref name="client"/> fetch node <paramref name="mac"/>'s boot script (which holds its secrets)?</summary>
    public AccessDecision BootScript(string mac, IPAddress client)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (nodes.ByMac(mac) is not { } e)
        {
            return AccessDecision.Refuse($"no node {mac} is registered (boot firmware's DHCP registers nodes)");
        }
        return FromNode(e, client, keyed: false, "fetched by its node");
    }

    /// <summary>May <paramref name="client"/> report for node <paramref name="mac"/>, with <paramref name="key"/> (null: none given)?</summary>
    public AccessDecision Callback(string mac, string? key, IPAddress client)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (nodes.ByMac(mac) is not { } e)
        {
            return AccessDecision.Refuse($"no node {mac} is registered");
        }
        if (key is not null)
        {
            if (e.DeploymentId is not { } id || !NodeKeys.Matches(key, keys.ExportKey(e.Mac, id)))
            {
                return AccessDecision.Refuse("wrong key for this deployment", e.Mac);
            }
            return FromNode(e, client, keyed: true, "reported with its key");
        }
        return FromNode(e, client, keyed: false, "reported from its own address");
    }

    private AccessDecision FromNode(NodeAccessEntry e, IPAddress client, bool keyed, string allowed)
    {
        var verdict = addresses.Verify(e.Mac, client, e.PinnedAddress);
        return verdict switch
        {
            AddressVerdict.Match => AccessDecision.Allow(e.Mac, allowed),
            AddressVerdict.Mismatch => AccessDecision.Refuse($"{client} is not node {e.Mac}'s address", e.Mac),
            _ when keyed && !requireVerifiedAddress => AccessDecision.Allow(e.Mac, allowed + " (address not verifiable; key accepted)"),
            _ => AccessDecision.Refuse($"{client} cannot be verified as node {e.Mac}'s address (no DHCP lease, neighbour entry or pinned address binds it)", e.Mac),
        };
    }
}
