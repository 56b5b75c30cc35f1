using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Guest;
using BareMetal.MediatorModel.Simulation.Mediation;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Tests.Mediation;

/// <summary>One small node streamed through the mediator, with contents tracked, for property tests.</summary>
internal sealed class MediatedNode
{
    private MediatedNode(NodeRun node, Simulator sim)
    {
        Node = node;
        Sim = sim;
    }

    public NodeRun Node { get; }

    public Simulator Sim { get; }

    public GuestOs Guest => Node.Guest!;

    public AhciMediator Mediator => (AhciMediator)Node.Mediator!;

    /// <summary>A tiny scenario (8 MiB image) shaped by <paramref name="shape"/>.</summary>
    public static Scenario TinyScenario(WorkloadShape shape)
    {
        const double imageGiB = 8.0 / 1024;
        string[] kinds = ["ycsb", "fio-rand-write", "fio-rand-read", "fio-seq-write", "idle"];
        return new Scenario
        {
            Name = "tiny",
            Seed = (ulong)shape.Seed,
            ImageGiB = imageGiB,
            HorizonSeconds = shape.HorizonMs / 1000.0,
            BucketSeconds = shape.HorizonMs / 1000.0,
            TrackContents = true,
            Strategies = [shape.Prefetch ? "vmm-prefetch" : "vmm"],
            Node = new NodeSpec { VmmBootSeconds = 0.001, Disk = new DiskSpec { CapacityGB = 1 } },
            Server = new ServerSpec { ServiceTimeUs = shape.ServiceUs, Workers = shape.Workers },
            Boot = new BootSpec
            {
                Files = shape.Files,
                Reads = shape.Files + shape.ExtraReads,
                Writes = shape.Writes,
                WorkingSetMB = 0.004 * (shape.Files + shape.ExtraReads) * shape.PagesPerRead,
                RegionGiB = imageGiB,
                ThinkSeconds = shape.ThinkMs / 1000.0,
            },
            Workload = new WorkloadSpec
            {
                Kind = kinds[shape.WorkloadKind % kinds.Length],
                BlockKiB = 4 * shape.PagesPerRead,
                QueueDepth = shape.QueueDepth,
                SpanGiB = imageGiB / 2,
                TableGiB = imageGiB / 2,
                CpuUsPerOp = shape.CpuUs,
                ReadFraction = 0.5,
                CacheHitFraction = 0.2,
            },
            Vmm = new VmmSpec { CopyChunkKiB = 4 * shape.ChunkPages, CopyOutstanding = shape.CopyOutstanding, VmExitUs = shape.ExitUs },
            Prefetch = new PrefetchSpec { FetchKiB = 4 * shape.ChunkPages, IdleGapMs = shape.IdleGapMs },
        };
    }

    /// <summary>Runs to the horizon, stops the guest, and drains until the VMM has left and nothing is in flight.</summary>
    public static MediatedNode RunAndDrain(Scenario scenario, Func<MediatorOptions, MediatorOptions>? adjust = null)
    {
        scenario.Validate();
        var sim = new Simulator(scenario.Seed);
        var server = new ImageServer(sim, scenario.Server);
        var trace = BootTrace.Generate(scenario.Boot, scenario.Seed);
        var node = new NodeRun(sim, scenario, scenario.Strategies[0], server, trace, sim.Random.Fork(1)) { AdjustMediator = adjust };
        node.Start();
        sim.Run(Time.FromSeconds(scenario.HorizonSeconds));
        node.Guest?.Stop();
        sim.Run(); // stopped guest, finite copy: the queue empties
        return new MediatedNode(node, sim);
    }
}
