using System.Xml.Linq;
using BareMetal.MediatorModel.Simulation.Output;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Tests.Output;

public class SvgChartsTests
{
    private static RunResult SmallRun()
    {
        var s = ScenarioLoader.BuiltIn("asplos15");
        s.ImageGiB = 1;
        s.Boot.RegionGiB = 0.5;
        s.Boot.Reads = 300;
        s.Boot.Files = 100;
        s.HorizonSeconds = 60;
        s.Workload.TableGiB = 0.25;
        s.Strategies = ["image-copy", "vmm", "nfs-root"];
        return ScenarioRunner.Run(s);
    }

    [Test]
    public void Charts_AreWellFormedSvg_WithABarSegmentPerPhase_AndALinePerStrategy()
    {
        var r = SmallRun();
        var bars = XDocument.Parse(SvgCharts.StartupBars(r));
        var lines = XDocument.Parse(SvgCharts.ThroughputTimeline(r));
        XNamespace svg = "http://www.w3.org/2000/svg";
        var phases = r.Strategies.Sum(s => s.Phases.Count);
        Assert.Multiple(() =>
        {
            Assert.That(bars.Descendants(svg + "rect").Count(e => e.Element(svg + "title") is not null), Is.EqualTo(phases));
            Assert.That(lines.Descendants(svg + "polyline").Count(), Is.EqualTo(r.Strategies.Count));
        });
    }

    [Test]
    public void WriteAll_WritesCsvJsonAndSvg()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bm-sim-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = SummaryWriter.WriteAll(SmallRun(), dir);
            Assert.That(files.Select(Path.GetFileName), Is.EquivalentTo(new[] { "summary.csv", "summary.json", "timeline.csv", "startup.svg", "throughput.svg" }));
            Assert.That(File.ReadAllText(Path.Combine(dir, "summary.csv")), Does.StartWith("strategy,nodes,os_ready_s"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
