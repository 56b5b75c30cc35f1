namespace BareMetal.MediatorModel.Simulation.Strategies;

/// <summary>What one strategy achieved on a scenario. Times are seconds from the node's start;
/// NaN where a milestone does not apply (no copy for NFS root) or was not reached in the horizon.
/// With many nodes, start-up is the mean and max over nodes, copy and de-virtualization the last node.</summary>
public sealed record StrategyResult
{
    public required string Strategy { get; init; }

    public int Nodes { get; init; }

    public double StartupSeconds { get; init; }

    public double StartupMaxSeconds { get; init; }

    /// <summary>Each node's start-up (from its own start), in the order the nodes started.</summary>
    public IReadOnlyList<double> NodeStartupSeconds { get; init; } = [];

    /// <summary>Start-up percentile over nodes (<paramref name="p"/> in 0..1).</summary>
    public double StartupPercentile(double p)
    {
        var sorted = NodeStartupSeconds.Where(v => !double.IsNaN(v)).Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public double CopyCompleteSeconds { get; init; } = double.NaN;

    public double DevirtualizedSeconds { get; init; } = double.NaN;

    /// <summary>Start-up segments of the first node (the bar's parts).</summary>
    public IReadOnlyList<Phase> Phases { get; init; } = [];

    /// <summary>Workload throughput per bucket, percent of bare metal's steady throughput (mean over nodes).</summary>
    public IReadOnlyList<double> ThroughputPercent { get; init; } = [];

    /// <summary>Mean percent of bare metal between OS ready and de-virtualization (or the horizon).</summary>
    public double PercentWhileDeploying { get; init; } = double.NaN;

    /// <summary>Mean percent of bare metal after de-virtualization (or, with no VMM, after OS ready).</summary>
    public double PercentAfterDeployment { get; init; } = double.NaN;

    /// <summary>Share of time the server's uplink was busy, until the last copy ended (or over the horizon).</summary>
    public double ServerLinkUtilization { get; init; }

    /// <summary>Mean share of the same window the nodes' own links (server to node) were busy: beside
    /// <see cref="ServerLinkUtilization"/>, it tells which link is the bottleneck.</summary>
    public double NodeLinkUtilization { get; init; }

    public long ServerRequests { get; init; }

    public long Events { get; init; }

    /// <summary>Trapped guest accesses, redirected reads, reads from the prefetch cache, commands held (first node).</summary>
    public long Exits { get; init; }

    public long Redirected { get; init; }

    public long CacheServed { get; init; }

    public long Held { get; init; }

    /// <summary>Correctness checks failed by any guest (stale read, lost or reordered request).</summary>
    public long Violations { get; init; }

    public string? FirstViolation { get; init; }
}
