using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Guest;
using BareMetal.MediatorModel.Simulation.Real;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Strategies;

/// <summary>Runs every strategy of a scenario, each in its own simulator seeded from the scenario
/// seed and the strategy's name, so adding a strategy never changes another's numbers.</summary>
public static class ScenarioRunner
{
    /// <summary>Real-network mode: one node runs the seed's VMM against a real NBD export (its size is
    /// the image size) and mirrors its disk into <paramref name="real"/>'s file; contents are tracked
    /// and checked. The bare-metal baseline, if the workload needs one, stays modelled.</summary>
    public static RunResult RunReal(Scenario scenario, RealNetworkMode real, ulong? seedOverride = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(real);
        scenario.ImageGiB = real.ImageBytes / (double)(1L << 30);
        scenario.Node.Count = 1;
        scenario.TrackContents = true;
        scenario.Strategies = ["vmm"];
        real.ContentSeed = seedOverride ?? scenario.Seed;
        real.Start();
        try
        {
            return Run(scenario, seedOverride, real);
        }
        finally
        {
            real.Stop();
        }
    }

    public static RunResult Run(Scenario scenario, ulong? seedOverride = null) => Run(scenario, seedOverride, null);

    private static RunResult Run(Scenario scenario, ulong? seedOverride, RealNetworkMode? real)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        scenario.Validate();
        var seed = seedOverride ?? scenario.Seed;
        var trace = BootTrace.Generate(scenario.Boot, seed);
        var results = new List<StrategyResult>();
        double baseline = double.NaN;
        double[] curve = [];
        if (scenario.Workload.Kind != "idle")
        {
            var bare = RunStrategy(scenario, "bare-metal", seed, trace, new Baseline(double.NaN, []), out baseline, out curve, null);
            if (scenario.Strategies.Contains("bare-metal"))
            {
                results.Add(bare);
            }
        }

        foreach (var strategy in scenario.Strategies)
        {
            if (strategy == "bare-metal" && results.Count > 0)
            {
                continue;
            }

            results.Add(RunStrategy(scenario, strategy, seed, trace, new Baseline(baseline, curve), out _, out _, strategy == "vmm" ? real : null));
        }

        // Keep the scenario's order.
        results.Sort((a, b) => scenario.Strategies.IndexOf(a.Strategy).CompareTo(scenario.Strategies.IndexOf(b.Strategy)));
        return new RunResult
        {
            Scenario = scenario,
            Strategies = results,
            Seed = seed,
            BareMetalThroughput = baseline,
            ThroughputUnit = scenario.Workload.Kind == "ycsb" ? "ops/s" : "bytes/s",
        };
    }

    /// <summary>Bare metal's mean rate once its OS is up, and its rate per bucket counted from that moment
    /// (a workload warms up its caches, so a strategy's k-th bucket after its own OS-ready is compared with
    /// bare metal's k-th; beyond bare metal's horizon, with the mean).</summary>
    internal readonly record struct Baseline(double Mean, double[] SinceReady);

    internal static StrategyResult RunStrategy(Scenario scenario, string strategy, ulong seed, BootTrace trace, Baseline baseline, out double steadyThroughput, out double[] sinceReady, RealNetworkMode? real = null)
    {
        var sim = new Simulator(seed ^ StableHash(strategy));
        var server = new ImageServer(sim, scenario.Server);
        var nodes = new List<NodeRun>(scenario.Node.Count);
        var starter = new NodeStarter(nodes);
        for (var i = 0; i < scenario.Node.Count; i++)
        {
            var node = new NodeRun(sim, scenario, strategy, server, trace, sim.Random.Fork((ulong)i + 1)) { Real = i == 0 ? real : null };
            nodes.Add(node);
            sim.At(Time.FromSeconds(scenario.Node.StaggerSeconds * i), starter, 0, i);
        }

        var horizon = Time.FromSeconds(scenario.HorizonSeconds);
        sim.Run(horizon);

        // Link busy time up to the horizon: the run goes on past it (below), and a share of the horizon
        // must not count the traffic after it.
        var uplinkBusyAtHorizon = server.UplinkBusyNs;
        var nodeLinkBusyAtHorizon = nodes.Average(n => Math.Min(n.Nic.BusyNs, horizon));

        // Beyond the horizon only the milestones matter: let copies and boots finish, without workload
        // accounting, so a slow strategy still reports its start-up time.
        // Checked once per simulated second: a per-event check would cost O(nodes) per event.
        for (var t = horizon; t < horizon * 4 && sim.Pending > 0 && !nodes.TrueForAll(Settled); t += Time.Second)
        {
            sim.Run(t);
        }

        if (real is not null)
        {
            // Stop issuing and drain, so every write on the disk (and in the file) is one the guest saw complete.
            foreach (var n in nodes)
            {
                n.Guest?.Stop();
            }

            sim.RunUntil(() => nodes.TrueForAll(n => n.Guest is null || n.Guest.InFlight == 0));
            if (nodes[0].Guest?.Expected is { } view)
            {
                real.GuestView = [.. view];
            }
        }

        foreach (var n in nodes)
        {
            n.Finish();
        }

        var bucketSeconds = scenario.BucketSeconds;
        var buckets = (int)Math.Ceiling(scenario.HorizonSeconds / bucketSeconds);
        var sum = new double[buckets];
        foreach (var n in nodes)
        {
            var b = n.Buckets;
            for (var i = 0; i < Math.Min(b.Length, buckets); i++)
            {
                sum[i] += b[i] / nodes.Count;
            }
        }

        var first = nodes[0];

        // The server link's busy share while copies were running (to the last copy's end), else over the horizon.
        var copiesDone = nodes.TrueForAll(n => n.CopyCompleteTime >= 0);
        var copyWindow = copiesDone ? nodes.Max(n => n.CopyCompleteTime) : horizon;
        var uplinkBusy = copiesDone ? server.UplinkBusyNs : uplinkBusyAtHorizon;
        var nodeLinkBusy = copiesDone ? nodes.Average(n => n.Nic.BusyNs) : nodeLinkBusyAtHorizon;
        var readyBucket = first.Guest is { OsReadyTime: >= 0 } g0 ? (int)Math.Ceiling(Time.ToSeconds(g0.OsReadyTime) / bucketSeconds) : buckets;
        var devirtBucket = first.DevirtualizedTime >= 0 ? (int)Math.Ceiling(Time.ToSeconds(first.DevirtualizedTime) / bucketSeconds) : (first.Mediator is null ? readyBucket : buckets);
        devirtBucket = Math.Max(devirtBucket, readyBucket); // "after" counts only whole buckets with the OS up and the VMM gone
        steadyThroughput = MeanRate(sum, readyBucket, buckets, bucketSeconds);
        sinceReady = readyBucket < buckets ? sum[readyBucket..].Select(v => v / bucketSeconds).ToArray() : [];
        var percent = double.IsNaN(baseline.Mean) || baseline.Mean <= 0 ? [] : sum.Select((v, i) => Math.Round(v / bucketSeconds / Reference(baseline, i - readyBucket) * 100, 3)).ToArray();
        var startups = nodes.Select(n => n.StartupSeconds).ToList();
        var horizonSeconds = scenario.HorizonSeconds;
        return new StrategyResult
        {
            Strategy = strategy,
            Nodes = nodes.Count,
            StartupSeconds = startups.Average(),
            StartupMaxSeconds = startups.Max(),
            NodeStartupSeconds = startups,
            CopyCompleteSeconds = nodes.Exists(n => n.CopyCompleteTime < 0) ? double.NaN : nodes.Max(n => Time.ToSeconds(n.CopyCompleteTime)),
            DevirtualizedSeconds = nodes.Exists(n => n.DevirtualizedTime < 0) ? double.NaN : nodes.Max(n => Time.ToSeconds(n.DevirtualizedTime)),
            Phases = first.Phases,
            ThroughputPercent = percent,
            PercentWhileDeploying = percent.Length == 0 || first.Mediator is null ? double.NaN : Mean(percent, readyBucket, devirtBucket),
            PercentAfterDeployment = percent.Length == 0 ? double.NaN : Mean(percent, devirtBucket, buckets),
            ServerLinkUtilization = Math.Min(1, uplinkBusy / (double)Math.Max(1, copyWindow)),
            NodeLinkUtilization = Math.Min(1, nodeLinkBusy / Math.Max(1, copyWindow)),
            ServerRequests = server.Requests,
            Events = sim.EventsRun,
            Exits = first.Mediator?.Exits ?? 0,
            Redirected = first.Mediator?.Redirected ?? 0,
            CacheServed = first.Mediator?.CacheServed ?? 0,
            Held = first.Mediator?.HeldCommands ?? 0,
            Violations = nodes.Sum(n => n.Guest?.Violations ?? 0),
            FirstViolation = nodes.Select(n => n.Guest?.FirstViolation).FirstOrDefault(v => v is not null),
        };

        static double Reference(Baseline b, int sinceReady) =>
            sinceReady >= 0 && sinceReady < b.SinceReady.Length && b.SinceReady[sinceReady] > 0 ? b.SinceReady[sinceReady] : b.Mean;

        static double MeanRate(double[] sum, int from, int to, double bucketSeconds) =>
            to > from ? sum[from..to].Average() / bucketSeconds : double.NaN;

        static double Mean(double[] values, int from, int to) =>
            to > from && from < values.Length ? values[from..Math.Min(to, values.Length)].Average() : double.NaN;
    }

    private static bool Settled(NodeRun n) =>
        n.Guest is { OsReadyTime: >= 0 } && (n.Mediator is null || n.Mediator.Devirtualized) && (n.Strategy != "image-copy" || n.CopyCompleteTime >= 0);

    /// <summary>FNV-1a: string.GetHashCode is randomized per process, and seeds must not be.</summary>
    internal static ulong StableHash(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h = unchecked((h ^ c) * 1099511628211UL);
        }

        return h;
    }

    private sealed class NodeStarter(List<NodeRun> nodes) : IEventHandler
    {
        public void OnEvent(int kind, long arg) => nodes[(int)arg].Start();
    }
}
