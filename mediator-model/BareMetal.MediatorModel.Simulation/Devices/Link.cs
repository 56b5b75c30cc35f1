using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>One direction of a network link, shared first come first served: a transfer occupies it
/// for bytes / payload rate. Latency is added by the caller once per path.</summary>
internal sealed class Link
{
    private readonly double _bytesPerSecond;
    private long _busyUntil;

    public Link(LinkSpec spec)
    {
        _bytesPerSecond = spec.PayloadBytesPerSecond;
        LatencyNs = (long)(spec.LatencyUs * Time.Microsecond);
    }

    public long LatencyNs { get; }

    public long BytesCarried { get; private set; }

    /// <summary>Busy time accumulated, for utilization.</summary>
    public long BusyNs { get; private set; }

    public long TransferNs(long bytes) => Time.Transfer(bytes, _bytesPerSecond);

    /// <summary>Books the link for <paramref name="bytes"/> no earlier than <paramref name="earliest"/>;
    /// returns when the last byte leaves.</summary>
    public long Reserve(long earliest, long bytes)
    {
        var start = Math.Max(earliest, _busyUntil);
        var d = TransferNs(bytes);
        _busyUntil = checked(start + d);
        BytesCarried += bytes;
        BusyNs += d;
        return _busyUntil;
    }
}
