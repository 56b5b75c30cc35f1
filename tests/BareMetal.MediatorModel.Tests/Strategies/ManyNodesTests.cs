using BareMetal.MediatorModel.Simulation.Output;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Tests.Strategies;

/// <summary>Many nodes from one server: the server's uplink saturates and start-up grows with the node
/// count. The built-in many-nodes scenario is 1000 nodes; the test runs a smaller cut of it.</summary>
public class ManyNodesTests
{
    [Test]
    public void ManyNodes_SaturateTheServerLink()
    {
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var vmm = Cut(40)["vmm"];
        wall.Stop();
        Assert.Multiple(() =>
        {
            Assert.That(vmm.ServerLinkUtilization, Is.GreaterThan(0.9), "server uplink busy share");
            Assert.That(vmm.NodeLinkUtilization, Is.LessThan(0.2), "each node's own link is mostly idle: not the bottleneck");
            Assert.That(vmm.StartupMaxSeconds, Is.GreaterThan(vmm.StartupSeconds));
            Assert.That(wall.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
        });
    }

    /// <summary>The bottleneck property: with the uplink saturated, doubling the nodes roughly doubles
    /// what each must wait for, so OS-ready time grows with N while the link stays near 100% busy.</summary>
    [Test]
    public void OsReady_GrowsWithNodeCount_WhileTheServerLinkStaysSaturated()
    {
        var previous = 0.0;
        foreach (var n in new[] { 20, 40, 80 })
        {
            var vmm = Cut(n)["vmm"];
            Assert.That(vmm.ServerLinkUtilization, Is.GreaterThan(0.9), $"{n} nodes: uplink busy share");
            Assert.That(vmm.StartupSeconds, Is.GreaterThan(previous * 1.3), $"{n} nodes: mean OS ready");
            previous = vmm.StartupSeconds;
        }
    }

    [Test]
    public void Table_OfAnIdleWorkload_ShowsBothLinks_AndNoNaN()
    {
        var table = SummaryWriter.Table(Cut(5));
        Assert.Multiple(() =>
        {
            Assert.That(table, Does.Contain("bare-metal throughput none (workload idle)"));
            Assert.That(table, Does.Match(@"server link busy [0-9.]+ % of the horizon, node links [0-9.]+ % on average"));
            Assert.That(table, Does.Not.Contain("NaN"));
        });
    }

    /// <summary>The built-in 1000-node scenario cut down: GbE nodes against a 2 Gb/s fair-shared uplink.</summary>
    private static RunResult Cut(int nodes)
    {
        var scenario = ScenarioLoader.BuiltIn("many-nodes");
        scenario.Node.Count = nodes;
        scenario.ImageGiB = 0.5;
        scenario.Boot.RegionGiB = 0.25;
        scenario.Boot.Reads = 300;
        scenario.Boot.Files = 100;
        scenario.Server.Link.Gbps = 2;
        Assert.That(scenario.Server.Link.Sharing, Is.EqualTo("fair"));
        return ScenarioRunner.Run(scenario);
    }
}
