using System.Diagnostics.Metrics;

namespace BareMetal.ImageStore.Nbd.Counters;

/// <summary>
/// The block service's instruments, tagged with the export only (dotnet-counters, OpenTelemetry): a client
/// tag here would make one series per address ever seen. Per-client figures are read from
/// <see cref="ExportCounters.ClientSnapshots"/> when someone asks (the server's /metrics caps them).
/// </summary>
public static class NbdMetrics
{
    public const string MeterName = "BareMetal.ImageStore.Nbd";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> BytesRead = Meter.CreateCounter<long>("baremetal.nbd.bytes_read", "By", "Bytes sent to clients from exports.");
    public static readonly Counter<long> BytesWritten = Meter.CreateCounter<long>("baremetal.nbd.bytes_written", "By", "Bytes clients wrote to exports.");
    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("baremetal.nbd.requests", "{request}", "Transmission requests and HTTP range requests served.");
    public static readonly UpDownCounter<long> Connections = Meter.CreateUpDownCounter<long>("baremetal.nbd.connections", "{connection}", "Open NBD connections.");
}
