using BareMetal.ImageStore.Catalog;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Images;

/// <summary>The catalog list, and import from a path on the server (upload goes through <see cref="UploadModel"/>).</summary>
public sealed class ImagesModel(IImageCatalog catalog, ServeOptions options) : PageModel
{
    public IReadOnlyList<CatalogImage> Images { get; private set; } = [];
    public string? ImportError { get; private set; }
    public string? Path { get; private set; }
    public string? Name { get; private set; }
    public string? Label { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Images = await catalog.ListAsync(cancellationToken: cancellationToken);

    /// <summary>Folders a path import may read from: data/import and the --import-root folders.</summary>
    public IReadOnlyList<string> ImportRoots => [System.IO.Path.GetFullPath(options.ImportDirectory), .. options.ImportRoots.Select(System.IO.Path.GetFullPath)];

    public async Task<IActionResult> OnPostImportAsync(string? path, string? name, string? label, CancellationToken cancellationToken)
    {
        (Path, Name, Label) = (path, name, label);
        try
        {
            var full = CheckImportPath(path);
            var image = await catalog.ImportFileAsync(full, new ImageImportRequest(name ?? "", label, null), cancellationToken: cancellationToken);
            TempData["Flash"] = $"Imported {image.Name} version {image.Version} ({image.FormatName}).";
            return Redirect($"/images/{image.Name}/{image.Version}");
        }
        catch (CatalogException e)
        {
            ImportError = e.Message;
            Response.StatusCode = (int)e.Kind;
            Images = await catalog.ListAsync(cancellationToken: cancellationToken);
            return Page();
        }
    }

    // The console is an admin's, but a path import still reads only where the server was told it may:
    // "../" tricks and symbolic links out of those folders are refused.
    private string CheckImportPath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || !System.IO.Path.IsPathFullyQualified(path))
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "give the image's full path on the server, e.g. " + System.IO.Path.Combine(ImportRoots[0], "debian.qcow2"));
        }
        var full = System.IO.Path.GetFullPath(path);
        if (new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target)
        {
            full = target.FullName;
        }
        if (!ImportRoots.Any(root => full.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal)))
        {
            throw new CatalogException(CatalogErrorKind.Invalid, $"{path} is outside the import folders ({string.Join(", ", ImportRoots)})");
        }
        if (!System.IO.File.Exists(full))
        {
            throw new CatalogException(CatalogErrorKind.NotFound, $"{path}: no such file on the server");
        }
        return full;
    }
}
