using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Core.Security;
using BareMetal.Provisioning.Core.Settings;

namespace BareMetal.Provisioning.Core.Boot;

/// <summary>
/// What /boot/{mac}.ipxe does, minus HTTP (the route has already checked that the caller is the node):
/// refreshes a known node's contact, records the script fetch as a deployment event, resolves the
/// assigned image (newest version unless pinned) and renders the script with the deployment's secrets
/// (<see cref="NodeKeys"/>). A fetch never registers a node: boot firmware's DHCP does.
/// </summary>
public sealed class BootScriptService(INodeRegistry nodes, IImageCatalog catalog, IDeploymentTracker deployments, ISettingsStore settings, NodeKeys keys)
{
    /// <summary>
    /// A deploy script went out: the node at <see cref="DeployScript.RemoteAddress"/> is about to read
    /// the image's read-only export, and those reads are its copy progress (the host follows them).
    /// </summary>
    public event Action<DeployScript>? DeployScriptRendered;

    /// <summary>
    /// The copier finished (the deploy script fetched /boot/{mac}/deploy-done): copying at 100 %, then
    /// done, and the answer boots the local disk. Asked again after done (iPXE retrying a request whose
    /// answer was lost) it answers the same without a second transition; with no deployment under way, or
    /// after it failed, it is a 409-kind <see cref="InvalidTransitionException"/>. Unknown node: 404 kind.
    /// </summary>
    public async Task<string> DeployDoneAsync(string mac, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        var latest = await CurrentOfKnownNodeAsync(m, cancellationToken);
        if (latest is { State: DeploymentState.Done })
        {
            return BootScriptRenderer.BootLocalAfterDeploy(m);
        }
        if (latest is not { IsFinished: false })
        {
            throw new InvalidTransitionException(m, latest?.State, DeploymentState.Done);
        }
        // The progress pump samples once a second: a copy quicker than that still shows its copying step.
        await deployments.RecordAsync(m, new DeploymentEvent(DeploymentEventKind.DiskRead, Message: "copy complete", CopyPercent: 100), cancellationToken);
        await deployments.RecordAsync(m, new DeploymentEvent(DeploymentEventKind.NodeReport, DeploymentState.Done, Message: "deployed: the image is on the local disk"), cancellationToken);
        DeployFinished?.Invoke(m);
        return BootScriptRenderer.BootLocalAfterDeploy(m);
    }

    /// <summary>
    /// The deploy script failed (/boot/{mac}/deploy-failed?reason=...): the deployment fails with that
    /// reason and the answer says so and waits. Twice: the same answer, one transition. After done, or
    /// with no deployment under way: 409 kind. Unknown node: 404 kind.
    /// </summary>
    public async Task<string> DeployFailedAsync(string mac, string? reason, string baseUrl, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        var why = string.IsNullOrWhiteSpace(reason) ? "the node reported a failed deploy" : reason.Trim();
        var latest = await CurrentOfKnownNodeAsync(m, cancellationToken);
        if (latest is { State: DeploymentState.Failed })
        {
            return BootScriptRenderer.DeployFailed(m, baseUrl, latest.Error ?? why);
        }
        if (latest is not { IsFinished: false })
        {
            throw new InvalidTransitionException(m, latest?.State, DeploymentState.Failed);
        }
        var recorded = await deployments.RecordAsync(m, new DeploymentEvent(DeploymentEventKind.NodeReport, DeploymentState.Failed, Message: why), cancellationToken);
        DeployFinished?.Invoke(m);
        return BootScriptRenderer.DeployFailed(m, baseUrl, recorded.Deployment?.Error ?? why);
    }

    /// <summary>
    /// The node's OS says it is up (/boot/{mac}/os-up, from its init or <see cref="OsUpAgent.Script"/>):
    /// the deployment moves to OsUp as a node report, and the node's address is refreshed from the caller.
    /// Again once there (a retry, an init that reports on every start): nothing is written. From a state
    /// that cannot move to OsUp (Pxe, Copying, Done, Failed, no deployment) it is a 409-kind
    /// <see cref="InvalidTransitionException"/>; a malformed MAC is 400 kind; an unknown node 404 kind
    /// (a report never registers a node).
    /// </summary>
    /// <returns>The deployment after the report, and whether this report moved it.</returns>
    public async Task<(Deployment Deployment, bool Moved)> ReportOsUpAsync(string mac, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        var latest = await CurrentOfKnownNodeAsync(m, cancellationToken);
        if (latest is { State: DeploymentState.OsUp, IsFinished: false })
        {
            return (latest, false);
        }
        if (latest is not { IsFinished: false })
        {
            throw new InvalidTransitionException(m, latest?.State, DeploymentState.OsUp);
        }
        await nodes.RegisterContactAsync(new HttpBootContact(m, remoteAddress), cancellationToken);
        var from = remoteAddress is { Length: > 0 } a ? $" from {a}" : "";
        var recorded = await deployments.RecordAsync(m, new DeploymentEvent(DeploymentEventKind.NodeReport, DeploymentState.OsUp,
            Message: $"the OS reported itself up (/boot/{m}/{OsUpAgent.ReportPath}{from})"), cancellationToken);
        return (recorded.Deployment ?? throw new InvalidOperationException("a recorded report left no deployment"), recorded.Action == TransitionAction.Move);
    }

    /// <summary>A node's deploy ended (done or failed): its reads of the image no longer count as a copy.</summary>
    public event Action<string>? DeployFinished;

    /// <summary>
    /// The deploys under way as the database has them, for a server that (re)starts: each node whose
    /// current deployment is unfinished, in deploy mode and past its script fetch, with the image its
    /// script named (resolved from the deployment's image and pinned version as <see cref="RenderAsync"/>
    /// resolves the node's) and the node's last address, which is the one its script request came from.
    /// Those nodes' copiers read on across a restart (iPXE asks again), but
    /// <see cref="DeployScriptRendered"/> fired in the process that died. Deploys whose image is gone or
    /// not ready, or whose node has no address, are left out: nothing could attribute their reads.
    /// </summary>
    public async Task<IReadOnlyList<DeployScript>> DeploysUnderWayAsync(CancellationToken cancellationToken = default)
    {
        var found = new List<DeployScript>();
        foreach (var d in await deployments.ListCurrentAsync(cancellationToken))
        {
            if (d is not { IsFinished: false, Mode: NodeMode.Deploy, ImageName: { } name } || d.State == DeploymentState.Pxe)
            {
                continue;
            }
            if (await nodes.GetAsync(d.Mac, cancellationToken) is not { IpAddress: { } address }
                || await catalog.GetAsync(name, d.ImageVersion, cancellationToken) is not { Status: CatalogImageStatus.Ready } image)
            {
                continue;
            }
            found.Add(new DeployScript(d.Mac, image, address));
        }
        return found;
    }

    private async Task<Deployment?> CurrentOfKnownNodeAsync(string mac, CancellationToken cancellationToken)
    {
        _ = await nodes.GetAsync(mac, cancellationToken) ?? throw new NodeNotFoundException(mac);
        return await deployments.GetCurrentAsync(mac, cancellationToken);
    }

    /// <summary>
    /// The script for <paramref name="mac"/>; a malformed MAC is a 400-kind <see cref="CatalogException"/>.
    /// </summary>
    /// <param name="iscsi">Our iSCSI portal as this node reaches it; null when the iSCSI target is off.</param>
    public async Task<string> RenderAsync(string mac, string baseUrl, string? remoteAddress, IscsiPortal? iscsi = null, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        if (await nodes.GetAsync(m, cancellationToken) is null)
        {
            // Not registered (yet: its DHCP contact may still be on its way to the database): wait and ask again.
            return BootScriptRenderer.UnknownNode(m, baseUrl.TrimEnd('/'));
        }
        var (node, _) = await nodes.RegisterContactAsync(new HttpBootContact(m, remoteAddress), cancellationToken);
        var fetched = await deployments.RecordAsync(m, new DeploymentEvent(DeploymentEventKind.BootScriptFetched, Message: "boot script"), cancellationToken);
        var current = fetched.Deployment ?? await deployments.GetCurrentAsync(m, cancellationToken);
        var secrets = current is null ? null
            : new NodeSecrets(current.Id, keys.ExportKey(m, current.Id), node.CompactMac, keys.ChapSecret(m, current.Id), keys.TargetChapSecret(m, current.Id));
        if (node.Mode == NodeMode.Local)
        {
            // Nothing of ours sees a local boot go on: handing the node its local disk ends this deployment.
            await deployments.RecordAsync(m, new DeploymentEvent(DeploymentEventKind.BootScriptFetched, Message: "boots its local disk", HandsOffToLocalDisk: true), cancellationToken);
        }
        CatalogImage? image = null;
        if (node.ImageName is { } name && node.Mode != NodeMode.None)
        {
            image = await catalog.GetAsync(name, node.ImageVersion, cancellationToken);
        }
        if (node.Mode == NodeMode.Deploy && image is { Status: CatalogImageStatus.Ready })
        {
            // Deploy reads the image's base export (HTTP range, whatever boot.stream.protocol says: the
            // copier's reads are how the server follows the copy), so the host can attribute them to this node.
            DeployScriptRendered?.Invoke(new DeployScript(m, image, remoteAddress));
            return BootScriptRenderer.Render(m, node, image, baseUrl, secrets: secrets);
        }
        if (await settings.GetAsync(SettingKeys.BootStreamProtocol, cancellationToken) != "iscsi")
        {
            return BootScriptRenderer.Render(m, node, image, baseUrl, secrets: secrets);
        }
        return iscsi is null && node.Mode == NodeMode.Stream
            ? BootScriptRenderer.Waiting(m, baseUrl, $"{SettingKeys.BootStreamProtocol} is iscsi but the iSCSI target is off")
            : BootScriptRenderer.Render(m, node, image, baseUrl, iscsi, secrets);
    }
}
