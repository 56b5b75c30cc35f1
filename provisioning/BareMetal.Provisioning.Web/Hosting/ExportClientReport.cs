using BareMetal.ImageStore.Nbd.Counters;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>One client's share of an export's traffic; the client is its IP address as the export saw it.</summary>
public sealed record ExportClientReport(string Client, CounterSnapshot Counters);
