using System.Net;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Provisioning.Core.Audit;
using BareMetal.Provisioning.Core.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// The check every node-facing route makes before it changes anything: is the caller the node it names?
/// (<see cref="Core.Security.NodeAccessPolicy"/>: the deployment's key in <c>?key=</c> or the
/// <see cref="KeyHeader"/> header, or the node's own address; a boot script needs the address.) A
/// request signed in as an operator (cookie or token) may act for any node. Refusals throw
/// <see cref="NodeAccessDeniedException"/> (403) and go to the audit log. An unknown MAC passes, so the
/// route gives its own 404 (and never registers anything).
/// </summary>
internal static class NodeRequests
{
    /// <summary>Header a node agent may carry its key in instead of the query string.</summary>
    public const string KeyHeader = "X-BareMetal-Key";

    public static IPAddress ClientAddress(HttpContext ctx) => ExportClient.From(ctx.Connection.RemoteIpAddress, ExportProtocol.Http).Address;

    /// <summary>Throws 403 unless the caller may report as node <paramref name="mac"/> (any spelling; a malformed one passes to the route's 400).</summary>
    public static void RequireNodeOrOperator(HttpContext ctx, string mac, string action)
    {
        if (Macs.Normalise(mac) is not { } m || ctx.User.Identity?.IsAuthenticated == true)
        {
            return;
        }
        var security = ctx.RequestServices.GetRequiredService<NodeSecurity>();
        if (security.Table.ByMac(m) is null)
        {
            return;
        }
        var key = ctx.Request.Query["key"].FirstOrDefault() ?? ctx.Request.Headers[KeyHeader].FirstOrDefault();
        Decide(ctx, security, security.Policy.Callback(m, key is { Length: > 0 } ? key : null, ClientAddress(ctx)), action, m);
    }

    /// <summary>Throws 403 unless the caller's address is node <paramref name="mac"/>'s (the boot script holds its secrets).</summary>
    public static void RequireNodeAddress(HttpContext ctx, string mac)
    {
        var security = ctx.RequestServices.GetRequiredService<NodeSecurity>();
        if (security.Table.ByMac(mac) is null)
        {
            // An unregistered MAC gets the wait-and-retry script: no secret, no registration.
            security.Audit.Record("?", ClientAddress(ctx).ToString(), "boot-script", mac, AuditOutcome.Refused, "no such node (it has not PXE-booted through us yet)");
            return;
        }
        Decide(ctx, security, security.Policy.BootScript(mac, ClientAddress(ctx)), "boot-script", mac);
    }

    private static void Decide(HttpContext ctx, NodeSecurity security, Core.Security.AccessDecision decision, string action, string mac)
    {
        var source = ClientAddress(ctx).ToString();
        if (decision.Allowed)
        {
            security.RecordAllowed(mac, source, action, mac);
            return;
        }
        security.Audit.Record(decision.Mac ?? "?", source, action, mac, AuditOutcome.Refused, decision.Reason);
        throw new NodeAccessDeniedException($"{action} for {mac} refused: {decision.Reason}");
    }
}
