using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.Provisioning.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>/api/v1/exports: the block service's counters per export and per client (see docs/api.md).</summary>
internal static class ExportRoutes
{
    public static void Map(RouteGroupBuilder api)
    {
        var exports = api.MapGroup("/exports").RequireAuthorization();
        exports.MapGet("", (CatalogExportProvider provider) =>
            Results.Ok(ExportReports.All(provider).Select(e =>
                new ExportSummaryInfo(e.Name, e.Node, e.Description, e.ReadOnly, e.SizeBytes, Counters(e.Total, e.SizeBytes), e.Clients.Count)).ToList()));

        exports.MapGet("/{name}", (string name, CatalogExportProvider provider) =>
            ExportReports.Find(provider, name) is { } e
                ? Results.Ok(new ExportInfo(e.Name, e.Node, e.Description, e.ReadOnly, e.SizeBytes, Counters(e.Total, e.SizeBytes), Regions(e.Total, e.SizeBytes),
                    [.. e.Clients.Select(c => new ExportClientInfo(c.Client, Counters(c.Counters, e.SizeBytes), Regions(c.Counters, e.SizeBytes)))]))
                : Problems.NotFound($"no export '{name}': GET /api/v1/exports lists them (a node's export appears once the node has opened it)"));
    }

    private static ExportCountersInfo Counters(CounterSnapshot s, long size) => new(
        s.BytesRead, s.BytesWritten, s.Requests, s.BlocksTouched, s.RegionCount, s.RegionSize,
        ExportReports.Regions(s.ReadRanges, size).Count, ExportReports.CoveredBytes(s.ReadRanges, size));

    private static List<long[]> Regions(CounterSnapshot s, long size) =>
        [.. ExportReports.Regions(s.ReadRanges, size).Select(r => new[] { r.Offset, r.Length })];
}
