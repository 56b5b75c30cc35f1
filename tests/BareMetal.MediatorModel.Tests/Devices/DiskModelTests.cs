using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Tests.Devices;

/// <summary>The SATA disk models: an HDD pays seek, rotation and transfer unless a command continues
/// the previous one; an SSD pays a fixed latency and the transfer wherever the data is.</summary>
public class DiskModelTests
{
    private const long MiB = 1 << 20;

    [Test]
    public void Hdd_CommandContinuingThePreviousOne_StreamsWithNoPositioning()
    {
        var disk = new DiskModel(new DiskSpec(), new Xoshiro256(1));
        disk.Access(false, 100 * MiB, MiB);
        var next = disk.Access(false, 101 * MiB, MiB);
        Assert.That(next, Is.EqualTo(Time.FromMicroseconds(50) + Time.Transfer(MiB, 117e6)));
    }

    [Test]
    public void Hdd_RandomCommand_PaysTheSeekForItsDistancePlusUpToOneRotation()
    {
        var spec = new DiskSpec();
        var disk = new DiskModel(spec, new Xoshiro256(2));
        var rotation = (long)(60.0 / spec.Rpm * Time.Second);
        var fixedPart = Time.FromMicroseconds(50) + Time.Transfer(4096, 115e6);
        var rng = new Xoshiro256(3);
        long head = 0;
        var minWait = long.MaxValue;
        var maxWait = 0L;
        for (var i = 0; i < 2000; i++)
        {
            var offset = rng.NextInt64(400_000) * 1_000_000;
            var seek = disk.SeekNs(offset - head);
            var wait = disk.Access(true, offset, 4096) - fixedPart - seek;
            head = offset + 4096;
            minWait = Math.Min(minWait, wait);
            maxWait = Math.Max(maxWait, wait);
        }

        Assert.Multiple(() =>
        {
            Assert.That(minWait, Is.GreaterThanOrEqualTo(0), "rotational wait is never negative");
            Assert.That(maxWait, Is.LessThan(rotation), "at most one rotation (8.33 ms at 7200 rpm)");
            Assert.That(maxWait, Is.GreaterThan(rotation * 9 / 10), "waits cover the rotation");
        });
    }

    [Test]
    public void Hdd_SeekCurve_GoesFromTrackToTrackThroughAverageToFullStroke()
    {
        var spec = new DiskSpec();
        var disk = new DiskModel(spec, new Xoshiro256(1));
        var capacity = (long)(spec.CapacityGB * 1e9);
        Assert.Multiple(() =>
        {
            Assert.That(disk.SeekNs(0), Is.Zero);
            Assert.That(disk.SeekNs(4096), Is.EqualTo(Time.FromMicroseconds(spec.TrackToTrackMs * 1000)).Within(Time.FromMicroseconds(50)));
            Assert.That(disk.SeekNs(capacity / 3), Is.EqualTo(Time.FromMicroseconds(spec.AverageSeekMs * 1000)).Within(Time.FromMicroseconds(1)));
            Assert.That(disk.SeekNs(capacity), Is.EqualTo(Time.FromMicroseconds(spec.FullStrokeMs * 1000)).Within(Time.FromMicroseconds(1)));
            Assert.That(disk.SeekNs(-capacity / 3), Is.EqualTo(disk.SeekNs(capacity / 3)), "direction does not matter");
            Assert.That(disk.SeekNs(capacity / 10), Is.InRange(disk.SeekNs(capacity / 100), disk.SeekNs(capacity / 3)));
        });
    }

    [Test]
    public void Ssd_PaysItsLatencyAndTheTransfer_WhereverTheDataIs()
    {
        var spec = new DiskSpec { Kind = "ssd", ReadMBps = 500, WriteMBps = 450 };
        var disk = new DiskModel(spec, new Xoshiro256(1));
        var read = Time.FromMicroseconds(50 + 80) + Time.Transfer(MiB, 500e6);
        var write = Time.FromMicroseconds(50 + 30) + Time.Transfer(MiB, 450e6);
        Assert.Multiple(() =>
        {
            Assert.That(disk.Access(false, 0, MiB), Is.EqualTo(read));
            Assert.That(disk.Access(false, 400_000 * MiB, MiB), Is.EqualTo(read));
            Assert.That(disk.Access(true, 7 * MiB, MiB), Is.EqualTo(write));
        });
    }
}
