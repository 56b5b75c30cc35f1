using System.Globalization;
using System.Text;
using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.Provisioning.Web.Hosting;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// The per-export and per-client series of /metrics, read from the exports' counters at each scrape
/// (not through the meter: a series per client address ever seen would never go away there).
/// Cardinality stays bounded: exports are the catalog's plus one per node that opened one, and each
/// export shows at most <see cref="MaxClientSeries"/> clients, the busiest (bytes read + written, then
/// address); <c>baremetal_export_clients</c> says how many there are in all. Totals and clients are
/// separate metric names, so a sum() over one of them never counts a byte twice.
/// </summary>
public static class ExportMetrics
{
    /// <summary>Clients per export with series of their own.</summary>
    public const int MaxClientSeries = 16;

    private static readonly (string Name, string Type, string Help, Func<CounterSnapshot, long, long> Value)[] Families =
    [
        ("read_bytes_total", "counter", "Bytes read from the export (NBD, HTTP /disk and iSCSI).", (s, _) => s.BytesRead),
        ("written_bytes_total", "counter", "Bytes written to the export.", (s, _) => s.BytesWritten),
        ("requests_total", "counter", "Requests served: NBD and iSCSI commands, HTTP range requests.", (s, _) => s.Requests),
        ("blocks_touched", "gauge", "Distinct blocks (counter regions, 64 KiB unless the disk is huge) read or written.", (s, _) => s.BlocksTouched),
        ("read_regions", "gauge", "Separate ranges of the disk read (adjacent blocks merge).", (s, size) => ExportReports.Regions(s.ReadRanges, size).Count),
        ("read_covered_bytes", "gauge", "Bytes of the disk inside the ranges read.", (s, size) => ExportReports.CoveredBytes(s.ReadRanges, size)),
    ];

    public static string Render(IReadOnlyList<ExportReport> exports)
    {
        ArgumentNullException.ThrowIfNull(exports);
        var sb = new StringBuilder();
        foreach (var (name, type, help, value) in Families)
        {
            Header(sb, "baremetal_export_" + name, type, help);
            foreach (var e in exports)
            {
                Sample(sb, "baremetal_export_" + name, Label(e.Name), value(e.Total, e.SizeBytes));
            }
        }
        Header(sb, "baremetal_export_blocks", "gauge", "Blocks in the export's disk (what blocks_touched counts out of).");
        foreach (var e in exports)
        {
            Sample(sb, "baremetal_export_blocks", Label(e.Name), e.Total.RegionCount);
        }
        Header(sb, "baremetal_export_clients", "gauge", $"Client addresses the export has seen; at most {MaxClientSeries} have baremetal_export_client_* series.");
        foreach (var e in exports)
        {
            Sample(sb, "baremetal_export_clients", Label(e.Name), e.Clients.Count);
        }
        var shown = exports.Select(e => (e, Clients: Busiest(e.Clients))).ToList();
        foreach (var (name, type, help, value) in Families)
        {
            Header(sb, "baremetal_export_client_" + name, type, "Per client: " + help);
            foreach (var (e, clients) in shown)
            {
                foreach (var c in clients)
                {
                    Sample(sb, "baremetal_export_client_" + name, Label(c.Client, e.Name), value(c.Counters, e.SizeBytes));
                }
            }
        }
        return sb.ToString();
    }

    private static IEnumerable<ExportClientReport> Busiest(IReadOnlyList<ExportClientReport> clients) =>
        clients.OrderByDescending(c => c.Counters.BytesRead + c.Counters.BytesWritten)
            .ThenBy(c => c.Client, StringComparer.Ordinal)
            .Take(MaxClientSeries)
            .OrderBy(c => c.Client, StringComparer.Ordinal);

    private static string Label(string export) => $"{{export=\"{PrometheusExporter.EscapeLabelValue(export)}\"}}";

    private static string Label(string client, string export) =>
        $"{{client=\"{PrometheusExporter.EscapeLabelValue(client)}\",export=\"{PrometheusExporter.EscapeLabelValue(export)}\"}}";

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Sample(StringBuilder sb, string name, string labels, long value) =>
        sb.Append(CultureInfo.InvariantCulture, $"{name}{labels} {value}\n");
}
