using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace BareMetal.Provisioning.Web.Tls;

/// <summary>
/// Under `serve --tls`, the one rule that decides what may travel in clear. The plain-HTTP listener is
/// for nodes: Debian's iPXE fetches scripts and sanboots over http only (it has no TLS), so /boot/,
/// /disk/ and /healthz stay there. Everything else (console, API, SSE, login, metrics) is answered
/// with a redirect to the HTTPS listener (GET, HEAD) or 403 (anything else), before routing, so no
/// password, cookie or token is ever accepted in clear. HTTPS answers carry HSTS.
/// </summary>
public static class TransportSecurity
{
    /// <summary>Path prefixes the plain listener still serves under --tls: what boot firmware and nodes fetch.</summary>
    public static readonly IReadOnlyList<PathString> NodePaths = [new("/boot"), new("/disk"), new("/healthz")];

    /// <summary>One year. Not includeSubDomains: the server does not own its neighbours' names.</summary>
    public const string HstsValue = "max-age=31536000";

    /// <summary>Adds the rule in front of everything else; <paramref name="httpsPort"/> is read per request (port 0 resolves at start).</summary>
    public static void Use(IApplicationBuilder app, Func<int> httpsPort)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(httpsPort);
        app.Use((context, next) =>
        {
            if (context.Request.IsHttps)
            {
                // OnStarting: an error page clears the headers it found, and must still carry HSTS.
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers.StrictTransportSecurity = HstsValue;
                    return Task.CompletedTask;
                });
                return next(context);
            }
            if (IsNodePath(context.Request.Path))
            {
                return next(context);
            }
            return RefuseAsync(context, httpsPort());
        });
    }

    public static bool IsNodePath(PathString path) => NodePaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    private static Task RefuseAsync(HttpContext context, int port)
    {
        var request = context.Request;
        var host = request.Host.HasValue ? request.Host.Host : "127.0.0.1";
        var target = UriHelper.BuildAbsolute("https", new HostString(host, port), request.PathBase, request.Path, request.QueryString);
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = target;
            return Task.CompletedTask;
        }
        return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "HTTPS required",
            $"this plain-HTTP listener serves nodes only (/boot/, /disk/, /healthz); send this request to {target}");
    }
}
