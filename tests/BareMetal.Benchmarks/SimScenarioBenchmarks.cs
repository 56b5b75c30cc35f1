using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;
using BenchmarkDotNet.Attributes;

namespace BareMetal.Benchmarks;

/// <summary>End-to-end model throughput: the seed's VMM strategy on a 2 GiB cut of asplos15
/// (boot through the mediator, background copy, de-virtualization).</summary>
[MemoryDiagnoser]
public class SimScenarioBenchmarks
{
    private Scenario _scenario = null!;

    [GlobalSetup]
    public void Setup()
    {
        _scenario = ScenarioLoader.BuiltIn("asplos15");
        _scenario.ImageGiB = 2;
        _scenario.Boot.RegionGiB = 1;
        _scenario.Workload.Kind = "idle";
        _scenario.HorizonSeconds = 120;
        _scenario.Strategies = ["vmm"];
    }

    [Benchmark]
    public long VmmDeployment() => ScenarioRunner.Run(_scenario).Strategies[0].Events;
}
