using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Tests.Strategies;

/// <summary>The seed's storage figure (slide 17): sequential throughput after de-virtualization equals
/// bare metal; KVM with a local image is about 10% lower. Same parameters as asplos15, with a smaller
/// image so the copy ends early, and fio instead of YCSB.</summary>
public class StorageThroughputTests
{
    [TestCase("fio-seq-read")]
    [TestCase("fio-seq-write")]
    public void AfterDevirtualization_EqualsBareMetal_AndKvmIsAboutTenPercentLower(string kind)
    {
        var scenario = ScenarioLoader.BuiltIn("asplos15");
        scenario.ImageGiB = 2;
        scenario.Boot.RegionGiB = 1;
        scenario.HorizonSeconds = 200;
        scenario.Strategies = ["vmm", "kvm-local"];
        scenario.Workload = new WorkloadSpec { Kind = kind, BlockKiB = 1024, QueueDepth = 1, SpanGiB = 1 };
        var result = ScenarioRunner.Run(scenario);
        var vmm = result["vmm"];
        var kvm = result["kvm-local"];
        var bareMBps = result.BareMetalThroughput / 1e6;
        Assert.Multiple(() =>
        {
            Assert.That(bareMBps, Is.InRange(100, 117), "bare metal MB/s");
            Assert.That(vmm.DevirtualizedSeconds, Is.LessThan(150));
            Assert.That(vmm.PercentAfterDeployment, Is.InRange(98, 102), "de-virtualized vs bare metal");
            Assert.That(kvm.PercentAfterDeployment, Is.InRange(85, 95), "KVM/local vs bare metal");
        });
    }
}
