using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Web.Hosting;
using BareMetal.Pxe.Dhcp.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>/api/v1/nodes and /api/v1/deployments.</summary>
internal static class NodeRoutes
{
    public static void Map(RouteGroupBuilder api)
    {
        var nodes = api.MapGroup("/nodes").RequireAuthorization();
        nodes.MapGet("", async (INodeRegistry registry, IDeploymentTracker deployments, CancellationToken ct) =>
        {
            var current = (await deployments.ListCurrentAsync(ct)).ToDictionary(d => d.Mac, StringComparer.Ordinal);
            return Results.Ok((await registry.ListAsync(ct)).Select(n => n.ToApi(current.GetValueOrDefault(n.Mac))).ToList());
        });
        nodes.MapGet("/{mac}", async (string mac, INodeRegistry registry, IDeploymentTracker deployments, CancellationToken ct) =>
        {
            var m = Macs.Require(mac);
            return await registry.GetAsync(m, ct) is { } node
                ? Results.Ok(node.ToApi(await deployments.GetCurrentAsync(m, ct)))
                : Problems.NotFound($"no node {m}");
        });
        nodes.MapPost("", async (AddNodeRequest body, INodeRegistry registry, CancellationToken ct) =>
        {
            ClientArchitecture? arch = null;
            if (body.Architecture is { } a)
            {
                if (!Enum.TryParse<ClientArchitecture>(a, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(a, out _))
                {
                    return Problems.BadRequest($"architecture is one of {string.Join(", ", Enum.GetNames<ClientArchitecture>())}, not '{SessionRoutes.Printable(a)}'");
                }
                arch = parsed;
            }
            var node = await registry.AddAsync(new NewNode(Macs.Require(body.Mac), body.Hostname, arch, IpAddress: body.Ip), ct);
            return Results.Created($"/api/v1/nodes/{node.Mac}", node.ToApi(null));
        });
        nodes.MapPut("/{mac}/assignment", async (string mac, AssignRequest body, INodeRegistry registry, IDeploymentTracker deployments, CancellationToken ct) =>
        {
            var m = Macs.Require(mac);
            if (ApiMapping.ParseMode(body.Mode) is not { } mode)
            {
                return Problems.BadRequest($"mode is stream, deploy, local or devirt, not '{SessionRoutes.Printable(body.Mode)}'");
            }
            var node = await registry.AssignAsync(m, new NodeAssignment(body.Image, body.Version, mode), ct);
            return Results.Ok(node.ToApi(await deployments.GetCurrentAsync(m, ct)));
        });
        nodes.MapDelete("/{mac}/assignment", async (string mac, INodeRegistry registry, IDeploymentTracker deployments, CancellationToken ct) =>
        {
            var m = Macs.Require(mac);
            var node = await registry.UnassignAsync(m, ct);
            return Results.Ok(node.ToApi(await deployments.GetCurrentAsync(m, ct)));
        });
        nodes.MapPost("/{mac}/reset", async (string mac, INodeRegistry registry, CatalogExportProvider exports, CancellationToken ct) =>
        {
            var m = Macs.Require(mac);
            if (await registry.GetAsync(m, ct) is null)
            {
                return Problems.NotFound($"no node {m}");
            }
            return Results.Ok(new ResetResult(m, exports.ResetNode(Macs.Compact(m))));
        });
        nodes.MapPost("/{mac}/commit", async (string mac, CommitRequest body, INodeRegistry registry, IImageCatalog catalog, CatalogExportProvider exports, CancellationToken ct) =>
        {
            var m = Macs.Require(mac);
            if (ImageNames.Problem(body.Name) is { } problem)
            {
                return Problems.BadRequest(problem);
            }
            var node = await registry.GetAsync(m, ct);
            if (node is null)
            {
                return Problems.NotFound($"no node {m}");
            }
            var image = await NodeCommit.RunAsync(node, body, catalog, exports, ct);
            return image is null
                ? Problems.NotFound($"node {m} has no overlay: it has not written to an image yet")
                : ImageRoutes.Created(image);
        });
        nodes.MapDelete("/{mac}", async (string mac, INodeRegistry registry, CancellationToken ct) =>
            await registry.RemoveAsync(Macs.Require(mac), ct) ? Results.NoContent() : Problems.NotFound($"no node {Macs.Require(mac)}"));

        // Nodes cannot log in: a report carries the deployment's key or comes from the node's own address
        // (an operator's token or cookie may report for any node), and is checked (known MAC, known state,
        // a move the state machine allows) and small (the 1 MiB body limit, messages cut to 1 KiB by the tracker).
        api.MapPost("/nodes/{mac}/events", async (string mac, NodeEventRequest body, INodeRegistry registry, IDeploymentTracker deployments, HttpContext ctx, CancellationToken ct) =>
        {
            var m = Macs.Require(mac);
            NodeRequests.RequireNodeOrOperator(ctx, m, "node-event");
            if (ApiMapping.ParseState(body.Event) is not { } state)
            {
                return Problems.BadRequest($"event is one of pxe, bootloader, streaming, os-up, copying, done, failed; not '{SessionRoutes.Printable(body.Event)}'");
            }
            if (body.CopyPercent is { } p && (double.IsNaN(p) || p is < 0 or > 100))
            {
                return Problems.BadRequest("copyPercent is 0..100");
            }
            if (await registry.GetAsync(m, ct) is null)
            {
                return Problems.NotFound($"no node {m}: nodes register by PXE-booting through us, or are added by hand");
            }
            await registry.RegisterContactAsync(new HttpBootContact(m, ctx.Connection.RemoteIpAddress?.ToString()), ct);
            var result = await deployments.RecordAsync(m, new DeploymentEvent(DeploymentEventKind.NodeReport, state, body.Detail, CopyPercent: body.CopyPercent), ct);
            return result.Deployment is { } d ? Results.Accepted($"/api/v1/deployments/{m}", d.ToApi()) : Results.Accepted($"/api/v1/deployments/{m}");
        }).AllowAnonymous();

        var deploymentsGroup = api.MapGroup("/deployments").RequireAuthorization();
        deploymentsGroup.MapGet("", async (IDeploymentTracker deployments, CancellationToken ct) =>
            Results.Ok((await deployments.ListCurrentAsync(ct)).Select(d => d.ToApi()).ToList()));
        deploymentsGroup.MapGet("/{mac}", async (string mac, int? limit, INodeRegistry registry, IDeploymentTracker deployments, CancellationToken ct) =>
        {
            var m = Macs.Require(mac);
            if (limit is { } l && l is < 1 or > 1000)
            {
                return Problems.BadRequest("limit is 1..1000");
            }
            if (await registry.GetAsync(m, ct) is null)
            {
                return Problems.NotFound($"no node {m}");
            }
            return Results.Ok((await deployments.GetHistoryAsync(m, limit ?? 20, ct)).Select(d => d.ToApi()).ToList());
        });
    }
}
