using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Formats;
using BareMetal.Provisioning.Core.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Images;

/// <summary>One image version: format facts, backing chain, the allocation map picture, edit and delete.</summary>
public sealed class ImageDetailsModel(IImageCatalog catalog, INodeRegistry nodes) : PageModel
{
    public CatalogImage Image { get; private set; } = null!;
    public IReadOnlyList<CatalogImage> Versions { get; private set; } = [];
    public IReadOnlyList<string> UsedBy { get; private set; } = [];

    /// <summary>The backing chain, top first: each link's catalog path and its row (null if the row is gone).</summary>
    public IReadOnlyList<(string Path, CatalogImage? Image)> Chain { get; private set; } = [];

    /// <summary>Images that have this one in their chain (a delete is refused while there are any).</summary>
    public IReadOnlyList<CatalogImage> Layers { get; private set; } = [];
    public string? MapSvg { get; private set; }
    public string? MapSummary { get; private set; }
    public string? MapError { get; private set; }
    public int BucketCount { get; private set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, int? version, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(name, version, cancellationToken))
        {
            return NotFound();
        }
        return Page();
    }

    public async Task<IActionResult> OnPostUpdateAsync(string name, int? version, string? label, string? notes, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(name, version, cancellationToken))
        {
            return NotFound();
        }
        try
        {
            await catalog.UpdateAsync(Image.Name, Image.Version, new ImageMetadataUpdate(label ?? "", notes ?? ""), cancellationToken);
            TempData["Flash"] = "Saved.";
            return Redirect($"/images/{Image.Name}/{Image.Version}");
        }
        catch (CatalogException e)
        {
            Error = e.Message;
            Response.StatusCode = (int)e.Kind;
            return Page();
        }
    }

    public async Task<IActionResult> OnPostDeleteAsync(string name, int? version, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(name, version, cancellationToken))
        {
            return NotFound();
        }
        try
        {
            await catalog.DeleteAsync(Image.Name, Image.Version, cancellationToken);
            TempData["Flash"] = $"Deleted {Image.Name} version {Image.Version}.";
            return Redirect("/images");
        }
        catch (CatalogException e)
        {
            Error = e.Message;
            Response.StatusCode = (int)e.Kind;
            return Page();
        }
    }

    private async Task<bool> LoadAsync(string name, int? version, CancellationToken cancellationToken)
    {
        if (!ImageNames.IsValid(name) || await catalog.GetAsync(name, version, cancellationToken) is not { } image)
        {
            return false;
        }
        Image = image;
        Versions = await catalog.ListAsync(name, cancellationToken);
        var all = await catalog.ListAsync(null, cancellationToken);
        var byPath = all.ToDictionary(r => r.RelativePath, StringComparer.Ordinal);
        Chain = [.. image.BackingChain.Select(p => (p, byPath.GetValueOrDefault(p)))];
        Layers = [.. all.Where(r => r.BackingChain.Contains(image.RelativePath, StringComparer.Ordinal))];
        UsedBy = [.. (await nodes.ListAsync(cancellationToken))
            .Where(n => n.IsAssigned && n.ImageName == image.Name && (n.ImageVersion is null ? image.Version == Versions.Max(v => v.Version) : n.ImageVersion == image.Version))
            .Select(n => n.Hostname is null ? n.Mac : $"{n.Hostname} ({n.Mac})")];
        try
        {
            using var disk = DiskImage.Open(catalog.GetFullPath(image));
            var buckets = ImageMap.Compute(disk, AllocationMapSvg.Buckets, cancellationToken);
            BucketCount = buckets.Count;
            MapSummary = AllocationMapSvg.Summary(buckets);
            MapSvg = AllocationMapSvg.Render(buckets, "Allocation map: " + MapSummary);
        }
        catch (Exception e) when (e is IOException or ImageFormatException or UnauthorizedAccessException)
        {
            MapError = $"The allocation map cannot be read: {e.Message}";
        }
        return true;
    }
}
