using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Strategies;

/// <summary>Every strategy's result on one scenario, plus the bare-metal baseline they are measured against.</summary>
public sealed record RunResult
{
    public required Scenario Scenario { get; init; }

    public required IReadOnlyList<StrategyResult> Strategies { get; init; }

    /// <summary>The seed the run used (the scenario's, or the override).</summary>
    public ulong Seed { get; init; }

    /// <summary>Bare metal's steady workload throughput, in <see cref="ThroughputUnit"/> per second.</summary>
    public double BareMetalThroughput { get; init; }

    public string ThroughputUnit { get; init; } = "";

    public StrategyResult this[string strategy] => Strategies.First(s => s.Strategy == strategy);
}
