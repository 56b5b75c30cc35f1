using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Tests.Scenarios;

public class ScenarioLoaderTests
{
    [Test]
    public void BuiltIns_IncludeAsplos15_AndAllParse()
    {
        var names = ScenarioLoader.BuiltInNames();
        Assert.That(names, Does.Contain("asplos15"));
        foreach (var name in names)
        {
            Assert.DoesNotThrow(() => ScenarioLoader.BuiltIn(name), name);
        }
    }

    [Test]
    public void Asplos15_HasTheSeedsTestbed()
    {
        var s = ScenarioLoader.BuiltIn("asplos15");
        Assert.Multiple(() =>
        {
            Assert.That(s.ImageGiB, Is.EqualTo(32));
            Assert.That(s.Node.Disk.Rpm, Is.EqualTo(7200));
            Assert.That(s.Node.Nic.Gbps, Is.EqualTo(1));
            Assert.That(s.Node.FirmwareRebootSeconds, Is.EqualTo(145));
        });
    }

    [TestCase("name: x\nbogusKey: 1\n", "bogusKey")]
    [TestCase("name: x\nimageGiB: -3\n", "imageGiB = -3")]
    [TestCase("name: x\nnode: { disk: { kind: tape } }\n", "node.disk.kind = 'tape'")]
    [TestCase("name: x\nstrategies: [teleport]\n", "strategies[] = 'teleport'")]
    [TestCase("name: x\nimageGiB: [1, 2]\n", "line")]
    [TestCase("", "empty")]
    [TestCase("name: x\nworkload: { blockKiB: 6 }\n", "multiple of 4")]
    [TestCase("name: x\nvmm: { copyChunkKiB: 8192 }\n", "copyChunkKiB")]
    public void Parse_BadScenario_NamesTheProblem(string yaml, string expected)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(yaml));
        Assert.That(e!.Message, Does.Contain(expected));
    }

    [Test]
    public void Resolve_UnknownName_ListsTheBuiltIns()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Resolve("nope"));
        Assert.That(e!.Message, Does.Contain("asplos15"));
    }
}
