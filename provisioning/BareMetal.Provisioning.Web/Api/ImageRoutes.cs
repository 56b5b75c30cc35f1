using System.Globalization;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Formats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>/api/v1/images: the catalog.</summary>
internal static class ImageRoutes
{
    public const int DefaultBuckets = 256;

    public static void Map(RouteGroupBuilder api)
    {
        var images = api.MapGroup("/images").RequireAuthorization();
        images.MapGet("", async (IImageCatalog catalog, CancellationToken ct) =>
            Results.Ok((await catalog.ListAsync(null, ct)).Select(i => i.ToApi()).ToList()));

        images.MapGet("/{name}", async (string name, int? version, IImageCatalog catalog, CancellationToken ct) =>
            await catalog.GetAsync(CheckName(name), version, ct) is { } image
                ? Results.Ok(image.ToApi())
                : NotFound(name, version));

        images.MapPost("", async (ImportImageRequest body, IImageCatalog catalog, ServeOptions options, CancellationToken ct) =>
        {
            var path = ResolveImportPath(body.Path, options);
            var name = body.Name ?? Path.GetFileNameWithoutExtension(path);
            var image = await catalog.ImportFileAsync(path, new ImageImportRequest(name, body.OsLabel, body.Notes), null, ct);
            return Created(image);
        });

        images.MapPost("/upload", async (HttpContext ctx, IImageCatalog catalog, ServeOptions options, CancellationToken ct) =>
        {
            var request = ctx.Request;
            var name = Field(ctx, "name", "X-Image-Name");
            if (string.IsNullOrEmpty(name))
            {
                return Problems.BadRequest("give the image a name: ?name=NAME or the X-Image-Name header");
            }
            if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), "application/octet-stream", StringComparison.OrdinalIgnoreCase))
            {
                return Results.Problem(statusCode: 415, title: "Unsupported media type",
                    detail: $"upload the image as the raw request body with Content-Type: application/octet-stream (got '{request.ContentType ?? "none"}')");
            }
            var limit = options.MaxUploadBytes;
            if (request.ContentLength is { } declared && declared > limit)
            {
                return TooLarge(declared, limit);
            }
            if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }
            await using var body = new LimitedReadStream(request.Body, limit);
            var image = await catalog.ImportStreamAsync(body, request.ContentLength,
                new ImageImportRequest(name, Field(ctx, "osLabel", "X-Image-Label"), Field(ctx, "notes", "X-Image-Notes")), null, ct);
            return Created(image);
        });

        images.MapPatch("/{name}", async (string name, int? version, UpdateImageRequest body, IImageCatalog catalog, CancellationToken ct) =>
        {
            var current = await catalog.GetAsync(CheckName(name), version, ct);
            if (current is null)
            {
                return NotFound(name, version);
            }
            var updated = await catalog.UpdateAsync(current.Name, current.Version, new ImageMetadataUpdate(body.OsLabel, body.Notes), ct);
            return Results.Ok(updated.ToApi());
        });

        images.MapDelete("/{name}", async (string name, int? version, IImageCatalog catalog, CancellationToken ct) =>
        {
            await catalog.DeleteAsync(CheckName(name), version, ct);
            return Results.NoContent();
        });

        images.MapGet("/{name}/map", async (string name, int? version, int? buckets, IImageCatalog catalog, CancellationToken ct) =>
        {
            var n = buckets ?? DefaultBuckets;
            if (n is < 1 or > ImageMap.MaxBuckets)
            {
                return Problems.BadRequest($"buckets is 1..{ImageMap.MaxBuckets}, not {n}");
            }
            var image = await catalog.GetAsync(CheckName(name), version, ct);
            if (image is null)
            {
                return NotFound(name, version);
            }
            if (image.Status != CatalogImageStatus.Ready)
            {
                return Problems.Conflict($"the file of {image.ExportName} is missing from the server");
            }
            using var disk = DiskImage.Open(catalog.GetFullPath(image));
            var map = ImageMap.Compute(disk, n, ct);
            return Results.Ok(new ImageMapInfo(image.Name, image.Version, image.VirtualSize,
                [.. map.Select(b => new MapBucket(b.Start, b.Length, b.Data, b.Zero, b.Hole))]));
        });
    }

    internal static IResult Created(CatalogImage image) =>
        Results.Created($"/api/v1/images/{Uri.EscapeDataString(image.Name)}?version={image.Version.ToString(CultureInfo.InvariantCulture)}", image.ToApi());

    private static IResult NotFound(string name, int? version) =>
        Problems.NotFound(version is { } v
            ? $"no image '{SessionRoutes.Printable(name)}' version {v.ToString(CultureInfo.InvariantCulture)}"
            : $"no image '{SessionRoutes.Printable(name)}'");

    private static IResult TooLarge(long size, long limit) =>
        Results.Problem(statusCode: 413, title: "Request body too large",
            detail: FormattableString.Invariant($"the upload is {size} bytes; this server accepts at most {limit} (serve --max-upload)"));

    /// <summary>Names are checked before they reach anything else, so path tricks get a clear 400.</summary>
    private static string CheckName(string name)
    {
        if (ImageNames.Problem(name) is { } problem)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, problem);
        }
        return name;
    }

    private static string? Field(HttpContext ctx, string query, string header)
    {
        var q = ctx.Request.Query[query].ToString();
        if (q.Length > 0)
        {
            return q;
        }
        var h = ctx.Request.Headers[header].ToString();
        return h.Length > 0 ? h : null;
    }

    /// <summary>
    /// A server-side import path must be absolute and, after following links, lie inside data/images,
    /// data/import or an --import-root: an API caller cannot make the server read /etc/shadow into the catalog.
    /// </summary>
    internal static string ResolveImportPath(string path, ServeOptions options)
    {
        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new CatalogException(CatalogErrorKind.Invalid, $"'{SessionRoutes.Printable(path)}' is not an absolute path on the server");
        }
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new CatalogException(CatalogErrorKind.NotFound, $"{full}: no such file on the server");
        }
        var target = info.LinkTarget is null ? full : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        var roots = new[] { options.ImagesDirectory, options.ImportDirectory }.Concat(options.ImportRoots)
            .Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r)) + Path.DirectorySeparatorChar);
        var real = ResolveDirectoryLinks(target);
        if (!roots.Any(r => real.StartsWith(ResolveDirectoryLinks(r.TrimEnd(Path.DirectorySeparatorChar)) + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            throw new CatalogException(CatalogErrorKind.Invalid,
                $"{full} is outside the import folders ({string.Join(", ", new[] { options.ImagesDirectory, options.ImportDirectory }.Concat(options.ImportRoots))}); put it there or upload it");
        }
        return full;
    }

    /// <summary>The path with every symbolic link among its directories resolved.</summary>
    private static string ResolveDirectoryLinks(string path)
    {
        var dir = Path.GetDirectoryName(path);
        if (dir is null)
        {
            return path;
        }
        var resolvedDir = ResolveDirectoryLinks(dir);
        var combined = Path.Combine(resolvedDir, Path.GetFileName(path));
        var info = new DirectoryInfo(combined);
        return info.Exists && info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? combined : combined;
    }
}
