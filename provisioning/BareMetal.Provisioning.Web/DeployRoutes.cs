using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// What a deploy-mode node's script reports back (<see cref="BootScriptRenderer.Deploy"/>): GET
/// <c>/boot/{mac}/deploy-done</c> after the copier returned success (the deployment is done; the answer
/// is an iPXE script that boots the local disk) and GET <c>/boot/{mac}/deploy-failed?reason=...</c>
/// (failed with that reason; the answer says so and waits). GET, because iPXE's `chain` can only GET.
/// Nodes cannot log in: the script carries the deployment's key (<c>?key=</c>), and a caller without it
/// must be at the node's own address (<see cref="NodeRequests"/>). Errors are problem details (400 bad
/// MAC, 403 not this node, 404 unknown node, 409 nothing to finish).
/// </summary>
internal static class DeployRoutes
{
    /// <summary>Longest failure reason kept from the query string.</summary>
    public const int MaxReasonLength = 200;

    /// <param name="baseUrl">Our base URL as the requesting node reaches us.</param>
    /// <param name="sampleProgress">Samples the block service's counters now, so the last reads of the copy are in the deployment before it ends.</param>
    public static void Map(WebApplication web, Func<HttpContext, string> baseUrl, Func<Task> sampleProgress)
    {
        web.MapGet("/boot/{mac}/" + BootScriptRenderer.DeployDonePath, async (string mac, HttpContext ctx) =>
        {
            NodeRequests.RequireNodeOrOperator(ctx, mac, "deploy-done");
            await sampleProgress();
            return Results.Text(await ctx.RequestServices.GetRequiredService<BootScriptService>().DeployDoneAsync(mac, ctx.RequestAborted), "text/plain");
        });
        web.MapGet("/boot/{mac}/" + BootScriptRenderer.DeployFailedPath, async (string mac, string? reason, HttpContext ctx) =>
        {
            NodeRequests.RequireNodeOrOperator(ctx, mac, "deploy-failed");
            await sampleProgress();
            return Results.Text(await ctx.RequestServices.GetRequiredService<BootScriptService>()
                .DeployFailedAsync(mac, Printable(reason), baseUrl(ctx), ctx.RequestAborted), "text/plain");
        });
    }

    /// <summary>The reason as one line of at most <see cref="MaxReasonLength"/> printable characters (it is echoed in an iPXE script).</summary>
    private static string? Printable(string? reason) =>
        reason is null ? null : new string([.. reason.Take(MaxReasonLength).Select(c => char.IsControl(c) ? ' ' : c)]);
}
