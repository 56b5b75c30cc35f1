using BareMetal.MediatorModel.Simulation.Engine;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.MediatorModel.Tests.Engine;

public class EventQueueTests
{
    private sealed class Recorder : IEventHandler
    {
        public List<(long Time, int Kind, long Arg)> Seen { get; } = [];

        public Simulator? Sim { get; set; }

        public void OnEvent(int kind, long arg) => Seen.Add((Sim!.Now, kind, arg));
    }

    [Test]
    public void Pop_ReturnsEventsInTimeThenSchedulingOrder_ForAnyInput()
    {
        var gen = Gen.ListOf(Gen.Choose(0, 50)).Select(l => l.ToArray());
        Prop.ForAll(gen.ToArbitrary(), times =>
        {
            var sim = new Simulator(1);
            var r = new Recorder { Sim = sim };
            for (var i = 0; i < times.Length; i++)
            {
                sim.At(times[i], r, 0, i);
            }

            sim.Run();
            var expected = times.Select((t, i) => (Time: (long)t, Kind: 0, Arg: (long)i)).OrderBy(e => e.Time).ThenBy(e => e.Arg).ToList();
            return r.Seen.SequenceEqual(expected);
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void At_InThePast_Throws()
    {
        var sim = new Simulator(1);
        var r = new Recorder { Sim = sim };
        sim.At(10, r, 0);
        sim.Run();
        Assert.Throws<InvalidOperationException>(() => sim.At(5, r, 0));
    }

    [Test]
    public void Run_StopsAtHorizon_AndLeavesLaterEventsQueued()
    {
        var sim = new Simulator(1);
        var r = new Recorder { Sim = sim };
        sim.At(10, r, 1);
        sim.At(20, r, 2);
        sim.Run(15);
        Assert.Multiple(() =>
        {
            Assert.That(r.Seen, Has.Count.EqualTo(1));
            Assert.That(sim.Pending, Is.EqualTo(1));
            Assert.That(sim.Now, Is.EqualTo(10));
        });
    }

    [Test]
    public void Xoshiro_SameSeed_SameStream_DifferentSeed_DifferentStream()
    {
        var a = new Xoshiro256(42);
        var b = new Xoshiro256(42);
        var c = new Xoshiro256(43);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        var sb = Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).ToArray();
        var sc = Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(sb, Is.EqualTo(sa));
            Assert.That(sc, Is.Not.EqualTo(sa));
        });
    }

    [Test]
    public void Xoshiro_NextInt64_StaysInBound_AndCoversIt()
    {
        var rng = new Xoshiro256(7);
        var seen = new bool[10];
        for (var i = 0; i < 10_000; i++)
        {
            var v = rng.NextInt64(10);
            Assert.That(v, Is.InRange(0, 9));
            seen[v] = true;
        }

        Assert.That(seen, Is.All.True);
    }
}
