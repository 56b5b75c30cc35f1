using Microsoft.AspNetCore.Http;

namespace BareMetal.Provisioning.Web.Auth;

/// <summary>
/// A browser attaches the session cookie to any request, including ones a hostile page makes; so a
/// state-changing API request that authenticated by cookie must also carry the session's CSRF token in
/// `X-CSRF-Token` (a header no cross-origin page can set without a CORS pre-flight we never grant).
/// Token-authenticated requests need none. The console's own forms use Razor's antiforgery instead.
/// </summary>
public sealed class CsrfMiddleware(RequestDelegate next)
{
    public const string HeaderName = "X-CSRF-Token";

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (request.Path.StartsWithSegments("/api", StringComparison.Ordinal)
            && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method)
            && context.User.FindFirst(BareMetalAuth.MethodClaim)?.Value == "cookie"
            && !AdminSessions.SameToken(request.Headers[HeaderName].ToString(), context.Items[BareMetalAuth.CsrfItem] as string))
        {
            return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "CSRF token missing or wrong",
                $"requests made with the session cookie must send the '{HeaderName}' header from GET /api/v1/session");
        }
        return next(context);
    }
}
