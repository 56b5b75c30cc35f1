using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Tests.Strategies;

/// <summary>The proof: the built-in asplos15 scenario, one parameter set, reproduces the seed's
/// start-up figure (003, slide 15) within 15% per bar, and its parts where the seed gives them.</summary>
public class Asplos15ReproductionTests
{
    private const double Tolerance = 0.15;
    private static readonly Lazy<RunResult> Result = new(() => ScenarioRunner.Run(ScenarioLoader.BuiltIn("asplos15")));

    [TestCase("image-copy", 544.0)]
    [TestCase("vmm", 63.0)]
    [TestCase("nfs-root", 49.0)]
    [TestCase("kvm-nfs", 72.0)]
    public void StartupBar_IsWithin15PercentOfTheSeed(string strategy, double seedSeconds)
    {
        var s = Result.Value[strategy];
        Assert.That(s.StartupSeconds, Is.InRange(seedSeconds * (1 - Tolerance), seedSeconds * (1 + Tolerance)), $"{strategy}: {s.StartupSeconds:F1} s vs {seedSeconds} s");
    }

    [TestCase("image-copy", "Image copy", 370.0)]
    [TestCase("image-copy", "OS boot", 29.0)]
    [TestCase("vmm", "OS boot", 58.0)]
    [TestCase("kvm-nfs", "KVM host boot", 30.0)]
    public void StartupSegment_IsWithin15PercentOfTheSeed(string strategy, string phase, double seedSeconds)
    {
        var p = Result.Value[strategy].Phases.Single(x => x.Label == phase);
        Assert.That(p.Seconds, Is.InRange(seedSeconds * (1 - Tolerance), seedSeconds * (1 + Tolerance)), $"{strategy}/{phase}: {p.Seconds:F1} s");
    }

    [Test]
    public void Vmm_IsAboutEightTimesFasterThanImageCopy()
    {
        var ratio = Result.Value["image-copy"].StartupSeconds / Result.Value["vmm"].StartupSeconds;
        Assert.That(ratio, Is.InRange(8.6 * (1 - Tolerance), 8.6 * (1 + Tolerance)));
    }

    [Test]
    public void OurPrefetchingVmm_BeatsTheSeedsVmm_AndStillDevirtualizes()
    {
        var ours = Result.Value["vmm-prefetch"];
        Assert.Multiple(() =>
        {
            Assert.That(ours.StartupSeconds, Is.LessThan(Result.Value["vmm"].StartupSeconds * 0.8));
            Assert.That(ours.DevirtualizedSeconds, Is.Not.NaN);
        });
    }

    [Test]
    public void AfterDevirtualization_WorkloadRunsAtBareMetalSpeed()
    {
        var vmm = Result.Value["vmm"];
        Assert.Multiple(() =>
        {
            Assert.That(vmm.DevirtualizedSeconds, Is.LessThan(Result.Value.Scenario.HorizonSeconds));
            Assert.That(vmm.PercentAfterDeployment, Is.InRange(95, 105));
        });
    }

    /// <summary>The seed's Cassandra figure stays near bare metal while the VMM copies: the data set is
    /// served from memory (96 GB RAM), so the guest rarely has disk I/O for the copy to get in the way of.
    /// The remaining gap is nested paging (5%) and the first reads of not-yet-cached rows.</summary>
    [Test]
    public void Cassandra_WhileTheVmmCopies_StaysNearBareMetal()
    {
        var vmm = Result.Value["vmm"];
        Assert.Multiple(() =>
        {
            Assert.That(vmm.PercentWhileDeploying, Is.InRange(85, 105));
            Assert.That(vmm.ThroughputPercent.Skip(30).Take(12), Is.All.GreaterThan(85), "300-420 s: the copy is still running");
        });
    }

    /// <summary>The seed puts KVM about 10% below bare metal. A KVM guest's boot is exit-heavy
    /// (kvm.cpuOverhead); its running Cassandra pays nested paging and the NIC exits of each operation.</summary>
    [Test]
    public void Cassandra_UnderKvm_IsAboutTenPercentBelowBareMetal()
    {
        Assert.That(Result.Value["kvm-local"].PercentAfterDeployment, Is.InRange(85, 95));
    }

    [Test]
    public void NoStrategy_BreaksACorrectnessCheck()
    {
        Assert.That(Result.Value.Strategies.Where(s => s.Violations > 0).Select(s => s.Strategy), Is.Empty);
    }
}
