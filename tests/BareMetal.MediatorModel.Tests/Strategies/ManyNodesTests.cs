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
        var scenario = ScenarioLoader.BuiltIn("many-nodes");
        scenario.Node.Count = 40;
        scenario.ImageGiB = 0.5;
        scenario.Boot.RegionGiB = 0.25;
        scenario.Boot.Reads = 300;
        scenario.Boot.Files = 100;
        scenario.Server.Link.Gbps = 2; // 40 GbE nodes against a 2 Gb/s uplink: 20 to 1, like 1000 on 10 GbE would be 100 to 1
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var result = ScenarioRunner.Run(scenario);
        wall.Stop();
        var vmm = result["vmm"];
        Assert.Multiple(() =>
        {
            Assert.That(vmm.ServerLinkUtilization, Is.GreaterThan(0.9), "server uplink busy share");
            Assert.That(vmm.StartupMaxSeconds, Is.GreaterThan(vmm.StartupSeconds));
            Assert.That(wall.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
        });
    }
}
