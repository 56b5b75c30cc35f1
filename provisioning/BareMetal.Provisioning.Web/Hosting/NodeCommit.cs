using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Web.Api;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Commit, shared by the API and the console: a node's overlay and its base flattened into a qcow2
/// beside the overlays, then imported through the catalog like any upload (format check, SHA-256,
/// sizes, the next version of the name), then the temporary file removed.
/// </summary>
internal static class NodeCommit
{
    /// <summary>The new image; null when the node has no overlay to commit.</summary>
    public static async Task<CatalogImage?> RunAsync(Node node, CommitRequest request, IImageCatalog catalog, CatalogExportProvider exports, CancellationToken cancellationToken)
    {
        ImageNames.Validate(request.Name);
        string? preferred = null;
        if (node.ImageName is { } assigned && await catalog.GetAsync(assigned, node.ImageVersion, cancellationToken) is { } image)
        {
            preferred = image.ExportName + OverlayExportProvider.IdentitySeparator + node.CompactMac;
        }
        if (exports.OverlayToCommit(node.CompactMac, preferred) is not { } source)
        {
            return null;
        }
        var temp = exports.NewCommitPath();
        try
        {
            // Minutes for a big disk: off the request thread, cancelled if the caller goes away.
            await Task.Run(() => exports.Commit(source, temp, cancellationToken), cancellationToken);
            var notes = request.Notes ?? $"committed from {source}";
            return await catalog.ImportFileAsync(temp, new ImageImportRequest(request.Name, request.OsLabel, notes), null, cancellationToken);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
