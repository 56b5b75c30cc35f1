using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Web.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Images;

/// <summary>
/// The console's upload: the request body is the image itself (the page script sends the file with
/// XHR so it can show progress), streamed into the catalog without buffering. Answers JSON on
/// success and RFC 7807 problem details on refusal. The antiforgery token comes in a header.
/// </summary>
public sealed class UploadModel(IImageCatalog catalog, ServeOptions options) : PageModel
{
    public IActionResult OnGet() => Redirect("/images");

    public async Task<IActionResult> OnPostAsync(string? name, string? label, string? notes, CancellationToken cancellationToken)
    {
        // Other routes keep Kestrel's small body limit; this one takes images up to --max-upload.
        if (HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxUploadBytes;
        }
        if (Request.ContentLength > options.MaxUploadBytes)
        {
            return ProblemResult("Upload too large", $"the file has {Request.ContentLength} bytes; this server takes at most {options.MaxUploadBytes}", StatusCodes.Status413PayloadTooLarge);
        }
        try
        {
            // Counted here too, not only by the server's body limit: a chunked upload (no Content-Length)
            // under a host that does not enforce MaxRequestBodySize was imported whatever its size.
            await using var body = new LimitedReadStream(Request.Body, options.MaxUploadBytes);
            var image = await catalog.ImportStreamAsync(body, Request.ContentLength, new ImageImportRequest(name ?? "", label, notes), cancellationToken: cancellationToken);
            TempData["Flash"] = $"Uploaded {image.Name} version {image.Version} ({image.FormatName}).";
            return new JsonResult(new { image.Name, image.Version, Format = image.FormatName, image.Sha256 }) { StatusCode = StatusCodes.Status201Created };
        }
        catch (Exception e) when (ApiExceptionHandler.Classify(e) is { } problem)
        {
            // The API's mapping, so the cut-off body wins over the catalog's "upload failed" that wraps it.
            var title = problem.Status == StatusCodes.Status413PayloadTooLarge ? "Upload too large" : e is CatalogException ? "Upload refused" : "Upload failed";
            return ProblemResult(title, problem.Detail, problem.Status);
        }
    }

    private static ObjectResult ProblemResult(string title, string detail, int status) =>
        new(new ProblemDetails { Status = status, Title = title, Detail = detail })
        {
            StatusCode = status,
            ContentTypes = { "application/problem+json" },
        };
}
