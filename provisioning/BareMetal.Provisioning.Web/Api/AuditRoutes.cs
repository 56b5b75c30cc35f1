using BareMetal.Provisioning.Core.Audit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>GET /api/v1/audit: the audit log, newest first, paged by id.</summary>
internal static class AuditRoutes
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/audit", async (int? limit, long? before, string? action, string? outcome, AuditTrail trail, AuditStore store, CancellationToken ct) =>
        {
            if (limit is { } l && l is < 1 or > AuditStore.MaxPage)
            {
                return Problems.BadRequest($"limit is 1..{AuditStore.MaxPage}");
            }
            AuditOutcome? wanted = null;
            if (outcome is not null)
            {
                if (!Enum.TryParse<AuditOutcome>(outcome, ignoreCase: true, out var o) || !Enum.IsDefined(o) || int.TryParse(outcome, out _))
                {
                    return Problems.BadRequest($"outcome is allowed, refused or failed; not '{SessionRoutes.Printable(outcome)}'");
                }
                wanted = o;
            }
            // What happened up to this request is there to read.
            await trail.FlushAsync(ct);
            var entries = await store.ListAsync(limit ?? 100, before, action, wanted, ct);
            return Results.Ok(entries.Select(e => new AuditInfo(e.Id, e.Record.At, e.Record.Actor, e.Record.Source, e.Record.Action, e.Record.Target,
                e.Record.Outcome.ToString().ToLowerInvariant(), e.Record.Detail)).ToList());
        }).RequireAuthorization();
    }
}
