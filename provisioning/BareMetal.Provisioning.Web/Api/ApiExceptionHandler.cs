using System.Text.Json;
using BareMetal.ImageStore.Formats;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// Turns the exceptions bad input causes into 4xx problem details, so a client never sees a 500 for
/// its own mistake: malformed JSON and wrong types (400), oversized bodies (413), a corrupt image (400),
/// and the catalog's typed errors (see <see cref="Classify"/>). Anything else stays a 500 and is logged.
/// </summary>
public sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);
        if (Classify(exception) is not { } problem)
        {
            LogUnexpected(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            return false;
        }
        await Problems.WriteAsync(httpContext, problem.Status, problem.Title, problem.Detail);
        return true;
    }

    /// <summary>The status, title and detail for an exception caused by the request; null = a server fault.</summary>
    public static (int Status, string Title, string Detail)? Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        // A body cut off by the size limit surfaces wrapped (the catalog reports "upload failed"): the limit wins.
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge)
            {
                return (413, "Request body too large", tooLarge.Message);
            }
        }
        switch (exception)
        {
            case BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge:
                return (413, "Request body too large", bad.Message);
            case BadHttpRequestException bad when bad.InnerException is JsonException json:
                return (bad.StatusCode, "Malformed JSON", json.Message);
            case BadHttpRequestException bad:
                return (bad.StatusCode, bad.StatusCode == 415 ? "Unsupported media type" : "Bad request", bad.Message);
            case JsonException json:
                return (400, "Malformed JSON", json.Message);
            case ImageFormatException image:
                return (400, "Not a usable disk image", image.Message);
            case Hosting.NodeAccessDeniedException denied:
                return (403, "Not this node", denied.Message);
        }
        return CatalogErrors.Classify(exception);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error for {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
