using BareMetal.ImageStore.Nbd.Counters;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// One export's counters as the console, the API and /metrics show them: what every path that reads the
/// export (NBD, HTTP /disk, iSCSI) counted in this process, in total and per client address.
/// </summary>
/// <param name="Node">The node's MAC for a per-node export ("image@525400123456"), else null.</param>
/// <param name="Clients">Per client address, by address; at most <see cref="ExportCounters.MaxClients"/>.</param>
public sealed record ExportReport(
    string Name,
    string? Node,
    string? Description,
    bool ReadOnly,
    long SizeBytes,
    CounterSnapshot Total,
    IReadOnlyList<ExportClientReport> Clients);
