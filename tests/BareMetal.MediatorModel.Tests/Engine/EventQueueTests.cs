using BareMetal.MediatorModel.Simulation.Engine;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.MediatorModel.Tests.Engine;

public class EventQueueTests
{
    private static readonly Recorder Handler = new();

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
    public void Pop_WhileEventsScheduleMore_MatchesTimeThenSequenceOrder_ForAnyDelays()
    {
        // The simulator's real pattern: each event taken schedules others, at delays from zero (ties
        // with now) to far beyond the rest (bit 40 and up), so refills cross many buckets.
        var delays = Gen.OneOf(Gen.Constant(0L), Gen.Choose(1, 64).Select(d => (long)d), Gen.Choose(0, 1 << 30).Select(d => (long)d << 12));
        var gen = Gen.ListOf(delays).Select(l => l.ToArray());
        Prop.ForAll(gen.ToArbitrary(), Gen.Choose(1, 40).ToArbitrary(), (script, initial) =>
        {
            var queue = new EventQueue(initialCapacity: 1);
            var reference = new SortedSet<(long Time, long Sequence)>();
            long sequence = 0;
            for (var i = 0; i < initial; i++)
            {
                var t = script.Length == 0 ? 0 : script[i % script.Length];
                queue.Push(t, sequence, Handler, 0, sequence);
                reference.Add((t, sequence++));
            }

            var step = 0;
            while (queue.TryPop(long.MaxValue, out var e))
            {
                var expected = reference.Min;
                reference.Remove(expected);
                if (e.Time != expected.Time || e.Sequence != expected.Sequence || e.Arg != expected.Sequence)
                {
                    return false;
                }

                for (var k = 0; k < 2 && step < script.Length; k++, step++)
                {
                    var t = e.Time + script[step];
                    queue.Push(t, sequence, Handler, 0, sequence);
                    reference.Add((t, sequence++));
                }
            }

            return reference.Count == 0 && queue.Count == 0;
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void TryPop_BeforeTheNextEvent_TakesNothing_AndAllowsAnEarlierPush()
    {
        var queue = new EventQueue();
        queue.Push(100, 0, Handler, 0, 0);
        queue.Push(10, 1, Handler, 0, 1);
        Assert.That(queue.TryPop(5, out _), Is.False);
        queue.Push(7, 2, Handler, 0, 2);
        Assert.Multiple(() =>
        {
            Assert.That(queue.TryPop(long.MaxValue, out var first), Is.True);
            Assert.That(first.Arg, Is.EqualTo(2));
            Assert.That(queue.TryPop(long.MaxValue, out var second), Is.True);
            Assert.That(second.Arg, Is.EqualTo(1));
            Assert.That(queue.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void Push_BeforeTheLastEventTaken_Throws()
    {
        var queue = new EventQueue();
        queue.Push(50, 0, Handler, 0, 0);
        queue.TryPop(long.MaxValue, out _);
        Assert.Throws<InvalidOperationException>(() => queue.Push(49, 1, Handler, 0, 1));
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
