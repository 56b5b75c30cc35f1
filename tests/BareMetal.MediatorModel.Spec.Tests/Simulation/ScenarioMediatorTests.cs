using BareMetal.MediatorModel.Simulation.Output;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>`vmm: { mediator: generated-ahci }` in a scenario runs the VMM strategies through the
/// mediator generated from specs/ahci.mspec; on the seed's scenario it gives the same start-up times,
/// throughput timeline, exits and guest checks as the hand-written mediator.</summary>
public class ScenarioMediatorTests
{
    private static Scenario Asplos15(string mediator)
    {
        var yaml = ScenarioLoader.BuiltInText("asplos15").Replace("\nvmm:\n", $"\nvmm:\n  mediator: {mediator}\n", StringComparison.Ordinal);
        var scenario = ScenarioLoader.Parse(yaml);
        scenario.Strategies = ["vmm", "vmm-prefetch"];
        return scenario;
    }

    [Test]
    public void Asplos15_WithTheGeneratedAhciMediator_MatchesTheHandWrittenOne()
    {
        var generated = Asplos15(VmmSpec.GeneratedAhci);
        Assert.That(generated.Vmm.Mediator, Is.EqualTo("generated-ahci"));

        var a = ScenarioRunner.Run(Asplos15(VmmSpec.HandWritten));
        var b = ScenarioRunner.Run(generated);

        Assert.That(SummaryWriter.Table(b), Is.EqualTo(SummaryWriter.Table(a)));
        Assert.That(SummaryWriter.SummaryCsv(b), Is.EqualTo(SummaryWriter.SummaryCsv(a)));
        Assert.That(SummaryWriter.TimelineCsv(b), Is.EqualTo(SummaryWriter.TimelineCsv(a)));
        foreach (var (x, y) in a.Strategies.Zip(b.Strategies))
        {
            Assert.That((y.Exits, y.Redirected, y.CacheServed, y.Held, y.Events, y.Violations), Is.EqualTo((x.Exits, x.Redirected, x.CacheServed, x.Held, x.Events, x.Violations)), y.Strategy);
            Assert.That(y.Violations, Is.Zero, y.FirstViolation);
            Assert.That(y.DevirtualizedSeconds, Is.EqualTo(x.DevirtualizedSeconds).And.Not.NaN, y.Strategy);
        }
    }

    [Test]
    public void UnknownMediator_IsAClearScenarioError()
    {
        var yaml = ScenarioLoader.BuiltInText("asplos15").Replace("\nvmm:\n", "\nvmm:\n  mediator: generated-scsi\n", StringComparison.Ordinal);

        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(yaml).Validate());
        Assert.That(e!.Message, Does.Contain("vmm.mediator = 'generated-scsi' must be 'hand-written' or 'generated-ahci'"));
    }
}
