using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Generated;
using BareMetal.MediatorModel.Simulation.Mediation;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>A simulated node streaming a small image through the generated NVMe or IDE mediator
/// (the checked-in classes the simulator compiles), driven by a random guest workload.</summary>
internal sealed class GeneratedDeviceWorld
{
    private GeneratedDeviceWorld(GeneratedBlockHost host, BlockGuest guest, long[] disk, bool done)
    {
        Host = host;
        Guest = guest;
        Disk = disk;
        Done = done;
    }

    public GeneratedBlockHost Host { get; }

    public BlockGuest Guest { get; }

    public long[] Disk { get; }

    public bool Done { get; }

    public static GeneratedDeviceWorld Run(string device, int seed, int requests = 40, bool faultCopyIgnoresGuestWrites = false)
    {
        var rng = new Random(seed ^ 0x5EED);
        var blocks = 64 * (1 + rng.Next(6));
        var sim = new Simulator((ulong)seed);
        var memory = new GuestMemory(GuestMemory.PagesFor(2));
        var disk = new long[blocks];
        var state = new StreamingState((long)blocks * GuestMemory.PageBytes, (1 << rng.Next(5)) * GuestMemory.PageBytes);
        var server = new ImageServer(sim, new ServerSpec { ServiceTimeUs = rng.Next(0, 3000), Workers = 1 + rng.Next(2) });
        var diskModel = new DiskModel(new DiskSpec { Kind = rng.Next(2) == 0 ? "hdd" : "ssd", CapacityGB = 1 }, new Xoshiro256((ulong)seed));
        var view = new GuestMemoryView(memory);
        (IGeneratedMediator mediator, IDeviceBinding binding) = device switch
        {
            "nvme" => ((IGeneratedMediator)new MediatorModel.Generated.NvmeMediator(view), (IDeviceBinding)new NvmeBinding()),
            "ide" => (new MediatorModel.Generated.IdeMediator(view), new IdeBinding()),
            _ => throw new ArgumentException(device, nameof(device)),
        };
        var host = new GeneratedBlockHost(sim, mediator, binding, memory, diskModel, disk, state, server, new Link(new LinkSpec()), rng.Next(4) * 1_000)
        {
            FaultCopyIgnoresGuestWrites = faultCopyIgnoresGuestWrites,
        };
        BlockGuest guest = device == "nvme"
            ? new NvmeGuest(sim, memory, host, seed, blocks, requests)
            : new IdeGuest(sim, memory, host, seed, blocks, requests);
        host.Interrupts = guest;
        guest.Start();
        host.Start();
        sim.Run();
        var done = guest is NvmeGuest n ? n.Done : ((IdeGuest)guest).Done;
        return new GeneratedDeviceWorld(host, guest, disk, done);
    }
}
