using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>Service time of one command on a SATA disk. HDD: seek over the distance from the head's
/// last position (square root for short seeks, linear for long ones: Ruemmler and Wilkes), a uniformly
/// random rotational wait, then the media transfer; a command that continues the previous one streams
/// from the track buffer with no positioning. SSD: fixed latency plus transfer.</summary>
internal sealed class DiskModel
{
    private readonly DiskSpec _spec;
    private readonly Xoshiro256 _random;
    private readonly long _capacity;
    private readonly long _rotationNs;
    private long _headBytes;

    public DiskModel(DiskSpec spec, Xoshiro256 random)
    {
        _spec = spec;
        _random = random;
        _capacity = checked((long)(spec.CapacityGB * 1e9));
        _rotationNs = (long)(60.0 / spec.Rpm * Time.Second);
    }

    public bool IsHdd => _spec.Kind == "hdd";

    /// <summary>Seek time for a move of <paramref name="distanceBytes"/>.</summary>
    public long SeekNs(long distanceBytes)
    {
        if (distanceBytes == 0)
        {
            return 0;
        }

        var f = Math.Min(1.0, Math.Abs(distanceBytes) / (double)_capacity);
        const double third = 1.0 / 3; // the average seek is, by convention, a third of the stroke
        var ms = f <= third
            ? _spec.TrackToTrackMs + ((_spec.AverageSeekMs - _spec.TrackToTrackMs) * Math.Sqrt(f / third))
            : _spec.AverageSeekMs + ((_spec.FullStrokeMs - _spec.AverageSeekMs) * ((f - third) / (1 - third)));
        return (long)(ms * Time.Millisecond);
    }

    /// <summary>Duration of one command; moves the head.</summary>
    public long Access(bool write, long offset, long length)
    {
        var overhead = (long)(_spec.CommandOverheadUs * Time.Microsecond);
        var rate = (write ? _spec.WriteMBps : _spec.ReadMBps) * 1e6;
        var transfer = Time.Transfer(length, rate);
        long positioning;
        if (!IsHdd)
        {
            positioning = (long)((write ? _spec.SsdWriteLatencyUs : _spec.SsdReadLatencyUs) * Time.Microsecond);
        }
        else if (offset == _headBytes)
        {
            positioning = 0;
        }
        else
        {
            positioning = SeekNs(offset - _headBytes) + _random.NextInt64(_rotationNs);
        }

        _headBytes = checked(offset + length);
        return overhead + positioning + transfer;
    }
}
