using System.Security.Cryptography;
using System.Text;
using BareMetal.MediatorModel.Simulation.Output;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Tests.Strategies;

public class DeterminismTests
{
    private static Scenario Small()
    {
        var s = ScenarioLoader.BuiltIn("asplos15");
        s.ImageGiB = 1;
        s.Boot.RegionGiB = 0.5;
        s.Boot.Reads = 600;
        s.Boot.Files = 200;
        s.HorizonSeconds = 120;
        s.Workload.TableGiB = 0.25;
        return s;
    }

    private static string Digest(RunResult r) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(SummaryWriter.Json(r) + SummaryWriter.TimelineCsv(r) + SvgCharts.StartupBars(r) + SvgCharts.ThroughputTimeline(r))));

    [Test]
    public void SameScenarioAndSeed_GiveBitIdenticalOutputs()
    {
        var first = Digest(ScenarioRunner.Run(Small()));
        var second = Digest(ScenarioRunner.Run(Small()));
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void AnotherSeed_GivesOtherOutputs()
    {
        Assert.That(Digest(ScenarioRunner.Run(Small(), 99)), Is.Not.EqualTo(Digest(ScenarioRunner.Run(Small()))));
    }
}
