using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// The os-up report for OSes whose DHCP we do not see (<see cref="OsUpAgent"/>): POST or GET
/// <c>/boot/{mac}/os-up</c> records that the node's OS is up (GET so that busybox's `wget -q -O- URL`
/// does it), and GET <c>/boot/agent/os-up.sh</c> serves the reporter script. Nodes cannot log in: a
/// report needs the deployment's key (<c>?key=</c>) or the node's own address (<see cref="NodeRequests"/>),
/// is rate-limited per client address (<see cref="RateLimitPolicy"/>, 429 beyond) and idempotent (a repeat
/// writes nothing). Errors are problem details: 400 bad MAC, 403 not this node, 404 unknown node, 409 a
/// deployment that cannot be os-up now.
/// </summary>
internal static class OsUpRoutes
{
    /// <summary>The rate-limiter policy of the report route.</summary>
    public const string RateLimitPolicy = "node-report";

    /// <param name="baseUrl">Our base URL as the requesting node reaches us.</param>
    public static void Map(WebApplication web, Func<HttpContext, string> baseUrl)
    {
        web.MapMethods("/boot/{mac}/" + OsUpAgent.ReportPath, [HttpMethods.Get, HttpMethods.Post], async (string mac, HttpContext ctx) =>
        {
            NodeRequests.RequireNodeOrOperator(ctx, mac, "os-up");
            var remote = ctx.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;
            var (deployment, moved) = await ctx.RequestServices.GetRequiredService<BootScriptService>().ReportOsUpAsync(mac, remote, ctx.RequestAborted);
            return Results.Text(moved
                ? $"node {deployment.Mac} is os-up (deployment {deployment.Id})\n"
                : $"node {deployment.Mac} was already os-up (deployment {deployment.Id})\n", "text/plain");
        }).RequireRateLimiting(RateLimitPolicy);
        web.MapGet(OsUpAgent.ScriptPath, (HttpContext ctx) => Results.Text(OsUpAgent.Script(baseUrl(ctx)), "text/x-shellscript"));
    }
}
