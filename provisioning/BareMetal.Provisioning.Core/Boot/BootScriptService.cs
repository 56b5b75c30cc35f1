using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Core.Settings;

namespace BareMetal.Provisioning.Core.Boot;

/// <summary>
/// What /boot/{mac}.ipxe does, minus HTTP: registers the contact (a node that reaches us only over
/// HTTP still appears), records the script fetch as a deployment event, resolves the assigned image
/// (newest version unless pinned) and renders the script.
/// </summary>
public sealed class BootScriptService(INodeRegistry nodes, IImageCatalog catalog, IDeploymentTracker deployments, ISettingsStore settings)
{
    /// <summary>
    /// The script for <paramref name="mac"/>; a malformed MAC is a 400-kind <see cref="CatalogException"/>.
    /// </summary>
    /// <param name="iscsi">Our iSCSI portal as this node reaches it; null when the iSCSI target is off.</param>
    public async Task<string> RenderAsync(string mac, string baseUrl, string? remoteAddress, IscsiPortal? iscsi = null, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        var (node, _) = await nodes.RegisterContactAsync(new HttpBootContact(m, remoteAddress), cancellationToken);
        await deployments.RecordAsync(m, new DeploymentEvent(DeploymentEventKind.BootScriptFetched, Message: "boot script"), cancellationToken);
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
        if (await settings.GetAsync(SettingKeys.BootStreamProtocol, cancellationToken) != "iscsi")
        {
            return BootScriptRenderer.Render(m, node, image, baseUrl);
        }
        return iscsi is null && node.Mode == NodeMode.Stream
            ? BootScriptRenderer.Waiting(m, baseUrl, $"{SettingKeys.BootStreamProtocol} is iscsi but the iSCSI target is off")
            : BootScriptRenderer.Render(m, node, image, baseUrl, iscsi);
    }
}
