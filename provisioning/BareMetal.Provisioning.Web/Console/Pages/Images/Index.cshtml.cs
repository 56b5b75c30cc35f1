using BareMetal.ImageStore.Catalog;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Images;

/// <summary>The catalog list, and import from a path on the server (upload goes through <see cref="UploadModel"/>).</summary>
public sealed class ImagesModel(IImageCatalog catalog) : PageModel
{
    public IReadOnlyList<CatalogImage> Images { get; private set; } = [];
    public string? ImportError { get; private set; }
    public string? Path { get; private set; }
    public string? Name { get; private set; }
    public string? Label { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Images = await catalog.ListAsync(cancellationToken: cancellationToken);

    public async Task<IActionResult> OnPostImportAsync(string? path, string? name, string? label, CancellationToken cancellationToken)
    {
        (Path, Name, Label) = (path, name, label);
        try
        {
            if (string.IsNullOrWhiteSpace(path) || !System.IO.Path.IsPathFullyQualified(path))
            {
                throw new CatalogException(CatalogErrorKind.Invalid, "give the image's full path on the server, e.g. /srv/images/debian.qcow2");
            }
            if (!System.IO.File.Exists(path))
            {
                throw new CatalogException(CatalogErrorKind.NotFound, $"{path}: no such file on the server");
            }
            var image = await catalog.ImportFileAsync(path, new ImageImportRequest(name ?? "", label, null), cancellationToken: cancellationToken);
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
}
