using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.MediatorModel.Tests.Devices;

/// <summary>Processor sharing: n active transfers each get 1/n of the rate.</summary>
public class FairShareLinkTests
{
    private const double Rate = 1e9; // bytes/s: one byte per ns

    private sealed class Starter(FairShareLink link, long bytes) : IEventHandler
    {
        public void OnEvent(int kind, long arg) => link.Add(arg, bytes);
    }

    [Test]
    public void TwoEqualTransfersStartedTogether_BothTakeTwiceTheSoloTime()
    {
        var sim = new Simulator(1);
        var done = new Dictionary<long, long>();
        var link = new FairShareLink(sim, Rate, id => done[id] = sim.Now);
        link.Add(1, 1_000_000);
        link.Add(2, 1_000_000);
        sim.Run();
        Assert.That(done[1], Is.EqualTo(2_000_000).Within(1));
        Assert.That(done[2], Is.EqualTo(2_000_000).Within(1));
        Assert.That(link.BusyNs, Is.EqualTo(2_000_000).Within(2));
    }

    [Test]
    public void SmallTransferJoiningABigOne_FinishesLongBeforeIt_UnlikeFirstComeFirstServed()
    {
        var sim = new Simulator(1);
        var done = new Dictionary<long, long>();
        var link = new FairShareLink(sim, Rate, id => done[id] = sim.Now);
        link.Add(1, 10_000_000);
        sim.At(1_000_000, new Starter(link, 100_000), 0, 2);
        sim.Run();

        // The small one gets half the rate: 200 us instead of waiting 9 ms behind the big one.
        Assert.That(done[2], Is.EqualTo(1_200_000).Within(2));
        Assert.That(done[1], Is.EqualTo(10_100_000).Within(2), "work is conserved: the big one ends when all bytes have crossed");
    }

    [Test]
    public void AnyArrivals_ConserveWork_AndKeepTheLinkBusyWhileAnythingIsActive()
    {
        var gen = Gen.ListOf(Gen.Zip(Gen.Choose(0, 5_000), Gen.Choose(1, 3_000))).Select(l => l.ToArray());
        Prop.ForAll(gen.ToArbitrary(), flows =>
        {
            var sim = new Simulator(1);
            var finished = 0;
            var link = new FairShareLink(sim, Rate, _ => finished++);
            for (var i = 0; i < flows.Length; i++)
            {
                sim.At(flows[i].Item1, new Starter(link, flows[i].Item2), 0, i);
            }

            sim.Run();

            // With a 1 byte/ns link the last departure is the end of a work-conserving FIFO schedule.
            long end = 0;
            foreach (var (at, bytes) in flows.OrderBy(f => f.Item1))
            {
                end = Math.Max(end, at) + bytes;
            }

            return finished == flows.Length && (flows.Length == 0 || Math.Abs(sim.Now - end) <= flows.Length + 1);
        }).QuickCheckThrowOnFailure();
    }
}
