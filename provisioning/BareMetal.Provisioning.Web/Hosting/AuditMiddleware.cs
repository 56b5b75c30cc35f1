using System.Security.Claims;
using BareMetal.Provisioning.Core.Audit;
using BareMetal.Provisioning.Web.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Puts the operators' side in the audit log: every request that may change something (anything but
/// GET and HEAD: logins, assignments, uploads, deletes, settings, tokens), and every refused request
/// (401, 403) whatever its method, with who (the account or token name and how it signed in), from
/// where, the route (<c>PUT /api/v1/nodes/{mac}/assignment</c>), the path, and how it ended. The node
/// routes (<c>/boot</c>, <c>/disk</c>) audit themselves (<see cref="NodeRequests"/>, <see cref="NodeExportView"/>).
/// </summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditTrail audit)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch (Exception e)
        {
            // The exception handler outside turns it into a 4xx/5xx after this returns: say what it was.
            Record(ctx, ctx.Response.StatusCode is >= 400 ? ctx.Response.StatusCode : 0, e.GetType().Name);
            throw;
        }
        Record(ctx, ctx.Response.StatusCode, null);
    }

    private void Record(HttpContext ctx, int status, string? exception)
    {
        var path = ctx.Request.Path.Value ?? "/";
        if (path.StartsWith("/boot/", StringComparison.Ordinal) || path.StartsWith("/disk/", StringComparison.Ordinal))
        {
            return;
        }
        var changes = !HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method);
        var refused = status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden;
        if (!changes && !refused)
        {
            return;
        }
        var route = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? path;
        var outcome = refused ? AuditOutcome.Refused : exception is null && status < 400 ? AuditOutcome.Allowed : AuditOutcome.Failed;
        audit.Record(Actor(ctx.User), NodeRequests.ClientAddress(ctx).ToString(), $"{ctx.Request.Method} /{route.TrimStart('/')}", path, outcome,
            exception is null ? $"HTTP {status}" : $"failed: {exception}");
    }

    /// <summary>"admin (cookie)", "ci-runner (token)" or "anonymous".</summary>
    public static string Actor(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity?.IsAuthenticated != true)
        {
            return "anonymous";
        }
        var name = user.FindFirst(ClaimTypes.Name)?.Value ?? "?";
        var method = user.FindFirst(BareMetalAuth.MethodClaim)?.Value;
        return method is null ? name : $"{name} ({method})";
    }
}
