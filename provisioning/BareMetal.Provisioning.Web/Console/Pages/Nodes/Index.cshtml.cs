using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Web.Api;
using BareMetal.Provisioning.Web.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Nodes;

/// <summary>Nodes: list, add by hand, assign image and mode, reset or commit the overlay, delete.</summary>
public sealed class NodesModel(INodeRegistry nodes, IImageCatalog catalog, IDeploymentTracker deployments, CatalogExportProvider exports) : PageModel
{
    public IReadOnlyList<Node> Nodes { get; private set; } = [];
    public IReadOnlyList<string> ImageNames { get; private set; } = [];
    public IReadOnlyDictionary<string, DeploymentState> States { get; private set; } = new Dictionary<string, DeploymentState>();
    public string? Error { get; private set; }
    public string? AddMac { get; private set; }
    public string? AddHostname { get; private set; }
    public string? AddIp { get; private set; }

    public static string ModeText(NodeMode mode) => mode switch
    {
        NodeMode.None => "none: wait for an assignment",
        NodeMode.Stream => "stream: run from the image over the network",
        NodeMode.Deploy => "deploy: copy the image to the local disk, then boot it (BIOS)",
        NodeMode.Local => "local: boot the local disk",
        NodeMode.Devirt => "devirt (reserved)",
        _ => mode.ToString(),
    };

    public Task OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    public Task<IActionResult> OnPostAddAsync(string? mac, string? hostname, string? ip, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            (AddMac, AddHostname, AddIp) = (mac, hostname, ip);
            var node = await nodes.AddAsync(new NewNode(mac ?? "", string.IsNullOrWhiteSpace(hostname) ? null : hostname.Trim(),
                IpAddress: string.IsNullOrWhiteSpace(ip) ? null : ip.Trim()), cancellationToken);
            return $"Added node {node.Mac}.";
        }, cancellationToken);

    public Task<IActionResult> OnPostAssignAsync(string? mac, string? image, NodeMode? mode, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            if (mode is null || !Enum.IsDefined(mode.Value))
            {
                throw new CatalogException(CatalogErrorKind.Invalid, "choose a mode: none, stream, deploy, local or devirt");
            }
            var node = await nodes.AssignAsync(mac ?? "", new NodeAssignment(string.IsNullOrEmpty(image) ? null : image, null, mode.Value), cancellationToken);
            return $"Node {node.Mac} now boots {node.Mode.ToString().ToLowerInvariant()}" + (node.ImageName is null ? "." : $" from {node.ImageName}.");
        }, cancellationToken);

    public Task<IActionResult> OnPostResetAsync(string? mac, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            var node = await nodes.GetAsync(mac ?? "", cancellationToken) ?? throw new CatalogException(CatalogErrorKind.NotFound, $"no node {mac}");
            var removed = exports.ResetNode(node.CompactMac);
            return removed > 0
                ? $"Reset the overlay of {node.Mac}: its next boot starts from the image as imported."
                : $"Node {node.Mac} had not written anything yet: nothing to reset.";
        }, cancellationToken);

    public Task<IActionResult> OnPostCommitAsync(string? mac, string? name, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            var node = await nodes.GetAsync(mac ?? "", cancellationToken) ?? throw new CatalogException(CatalogErrorKind.NotFound, $"no node {mac}");
            var image = await NodeCommit.RunAsync(node, new CommitRequest(name?.Trim() ?? ""), catalog, exports, cancellationToken)
                ?? throw new CatalogException(CatalogErrorKind.NotFound, $"Node {node.Mac} has not written anything yet: nothing to commit.");
            return $"Committed the overlay of {node.Mac} as {image.Name} v{image.Version}.";
        }, cancellationToken);

    public Task<IActionResult> OnPostDeleteAsync(string? mac, CancellationToken cancellationToken) =>
        RunAsync(async () => await nodes.RemoveAsync(mac ?? "", cancellationToken) ? $"Deleted node {mac}." : $"There was no node {mac}.", cancellationToken);

    // One shape for every form: do it, say what happened on the next page (POST-redirect-GET), or
    // show the refusal in place with the right status code.
    private async Task<IActionResult> RunAsync(Func<Task<string>> action, CancellationToken cancellationToken)
    {
        try
        {
            TempData["Flash"] = await action();
            return Redirect("/nodes");
        }
        catch (CatalogException e)
        {
            Error = e.Message;
            Response.StatusCode = (int)e.Kind;
            await LoadAsync(cancellationToken);
            return Page();
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Nodes = await nodes.ListAsync(cancellationToken);
        ImageNames = [.. (await catalog.ListAsync(cancellationToken: cancellationToken)).Select(i => i.Name).Distinct(StringComparer.Ordinal)];
        States = (await deployments.ListCurrentAsync(cancellationToken)).GroupBy(d => d.Mac).ToDictionary(g => g.Key, g => g.First().State);
    }
}
