using System.Text;
using System.Text.Json;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>
/// GET /api/v1/events: the change feed as Server-Sent Events. `event:` is node, image, deployment
/// (a state moved), progress (same state, new counters) or setting; `data:` is one <see cref="ChangeEvent"/>.
/// A comment line opens the stream (so the client knows it is subscribed) and keeps it alive.
/// </summary>
internal static class EventRoutes
{
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/events", StreamAsync).RequireAuthorization();
    }

    private static async Task StreamAsync(HttpContext ctx, IProvisioningEvents events, TimeProvider time)
    {
        var ct = ctx.RequestAborted;
        var response = ctx.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var lastState = new Dictionary<string, DeploymentState>(StringComparer.Ordinal);
        await using var feed = events.SubscribeAsync(ct).GetAsyncEnumerator(ct);
        var next = feed.MoveNextAsync().AsTask();
        await response.WriteAsync(": baremetal change feed\n\n", ct);
        await response.Body.FlushAsync(ct);
        try
        {
            while (true)
            {
                var tick = Task.Delay(KeepAlive, time, ct);
                if (await Task.WhenAny(next, tick) != next)
                {
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    continue;
                }
                if (!await next)
                {
                    break;
                }
                var (name, data) = Describe(feed.Current, lastState);
                var text = new StringBuilder().Append("event: ").Append(name).Append('\n')
                    .Append("data: ").Append(JsonSerializer.Serialize(data, ApiJson.Default.ChangeEvent)).Append("\n\n").ToString();
                await response.WriteAsync(text, ct);
                await response.Body.FlushAsync(ct);
                next = feed.MoveNextAsync().AsTask();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The browser went away.
        }
    }

    internal static (string Event, ChangeEvent Data) Describe(ProvisioningChange c, Dictionary<string, DeploymentState> lastState)
    {
        var change = JsonNamingPolicy.CamelCase.ConvertName(c.Kind.ToString());
        switch (c.Kind)
        {
            case ProvisioningChangeKind.NodeAdded or ProvisioningChangeKind.NodeChanged or ProvisioningChangeKind.NodeRemoved:
                return ("node", new ChangeEvent(change, c.At, c.Mac ?? c.Node?.Mac, Node: c.Node?.ToApi(null)));
            case ProvisioningChangeKind.DeploymentChanged when c.Deployment is { } d:
                var moved = !lastState.TryGetValue(d.Mac, out var before) || before != d.State;
                lastState[d.Mac] = d.State;
                return (moved ? "deployment" : "progress", new ChangeEvent(change, c.At, d.Mac, Deployment: d.ToApi()));
            case ProvisioningChangeKind.ImageImported or ProvisioningChangeKind.ImageUpdated or ProvisioningChangeKind.ImageDeleted:
                return ("image", new ChangeEvent(change, c.At, Image: c.Image?.ToApi()));
            case ProvisioningChangeKind.SettingChanged:
                return ("setting", new ChangeEvent(change, c.At, Setting: c.SettingKey));
            default:
                return ("deployment", new ChangeEvent(change, c.At, c.Mac));
        }
    }
}
