using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Generated;
using BareMetal.MediatorModel.Simulation.Mediation;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>One simulated node with a small image streamed through an AHCI mediator (hand-written or
/// generated), driven by a <see cref="RandomAhciGuest"/>. Everything is a function of the seed, so two
/// worlds that differ only in the mediator must observe the same trace.</summary>
internal sealed class AhciWorld
{
    private AhciWorld(Simulator sim, AhciHba hba, IStreamingMediator mediator, RandomAhciGuest guest)
    {
        Sim = sim;
        Hba = hba;
        Mediator = mediator;
        Guest = guest;
    }

    public Simulator Sim { get; }

    public AhciHba Hba { get; }

    public IStreamingMediator Mediator { get; }

    public RandomAhciGuest Guest { get; }

    public static AhciWorld Run(int seed, bool generated, int actions = 60, Func<IGuestMemory, IGeneratedMediator>? device = null)
    {
        var rng = new Random(seed);
        var blocks = 64 * (1 + rng.Next(8));
        var chunkPages = 1 << rng.Next(5);
        var copyOutstanding = 1 + rng.Next(2);
        var prefetch = rng.Next(3) == 0
            ? Enumerable.Range(0, 1 + rng.Next(3)).Select(i => ((long)rng.Next(blocks / 16) * 16 * GuestMemory.PageBytes, 16L * GuestMemory.PageBytes)).ToList()
            : [];
        var options = new MediatorOptions
        {
            ExitNs = rng.Next(4) * 1_000,
            CopyOutstanding = copyOutstanding,
            Prefetch = prefetch,
            IdleGapNs = prefetch.Count > 0 ? rng.Next(3) * 1_000_000 : 0,
            AdaptiveReads = prefetch.Count > 0 ? rng.Next(20) : 0,
        };
        var disk = new DiskSpec { Kind = rng.Next(2) == 0 ? "hdd" : "ssd", CapacityGB = 1 };
        var server = new ServerSpec { ServiceTimeUs = rng.Next(0, 3000), Workers = 1 + rng.Next(3) };

        var sim = new Simulator((ulong)seed);
        var memory = new GuestMemory(GuestMemory.PagesFor(AhciMediator.BuffersNeeded(copyOutstanding)));
        var hba = new AhciHba(sim, new DiskModel(disk, new Xoshiro256((ulong)seed)), memory, new long[blocks]);
        var image = new ImageServer(sim, server);
        var nic = new Link(new LinkSpec());
        var state = new StreamingState((long)blocks * GuestMemory.PageBytes, chunkPages * GuestMemory.PageBytes);
        IStreamingMediator mediator = generated
            ? device is null
                ? GeneratedAhciMediator.Create(sim, hba, memory, image, nic, state, options)
                : new GeneratedAhciMediator(sim, hba, memory, image, nic, state, options, device(new GuestMemoryView(memory)))
            : new AhciMediator(sim, hba, memory, image, nic, state, options);
        var guest = new RandomAhciGuest(sim, memory, mediator, seed, blocks, actions);
        mediator.GuestInterrupt = guest;
        mediator.OnDevirtualized = () =>
        {
            guest.Port = hba;
            hba.Interrupts = guest;
            guest.Trace.Add(FormattableString.Invariant($"{sim.Now} devirtualized"));
        };
        guest.Start();
        mediator.Start();
        sim.Run();
        return new AhciWorld(sim, hba, mediator, guest);
    }
}
