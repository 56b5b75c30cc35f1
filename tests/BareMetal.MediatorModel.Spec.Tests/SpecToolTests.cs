using BareMetal.MediatorModel.Spec.Tooling;
using BareMetal.TestSupport;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>What `baremetal spec check|compile|graph` do (the CLI verbs are thin wrappers over SpecTool).</summary>
public class SpecToolTests
{
    [Test]
    public void Check_ShippedSpec_ExitsZeroAndSummarises()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var rc = SpecTool.Check(Repo.SpecPath("ahci"), output, error);
        Assert.That(rc, Is.EqualTo(SpecTool.ExitOk));
        Assert.That(error.ToString(), Is.Empty);
        Assert.That(output.ToString(), Does.Contain("device 'ahci'"));
    }

    [Test]
    public void Check_BrokenSpec_PrintsCompilerStyleLinesAndExitsOne()
    {
        var path = Path.Combine(Repo.TestDir, "Broken", "overlapping_registers.mspec");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var rc = SpecTool.Check(path, output, error);
        Assert.That(rc, Is.EqualTo(SpecTool.ExitSpecErrors));
        Assert.That(error.ToString(), Is.EqualTo(
            $"{path}:4:13: error MS0302: register 'B' at 0x2 overlaps 'A' at 0x0 (4 bytes){Environment.NewLine}"));
    }

    [Test]
    public void Check_MissingFile_IsARefusedRequest()
    {
        Assert.That(() => SpecTool.Check("/nonexistent/x.mspec", TextWriter.Null, TextWriter.Null),
            Throws.TypeOf<SpecToolException>().With.Message.EqualTo("spec file '/nonexistent/x.mspec' not found"));
    }

    [Test]
    public void Compile_TwoRuns_WriteByteIdenticalFiles()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        Assert.That(SpecTool.Compile(Repo.SpecPath("nvme"), a.Path, TextWriter.Null, TextWriter.Null), Is.Zero);
        Assert.That(SpecTool.Compile(Repo.SpecPath("nvme"), b.Path, TextWriter.Null, TextWriter.Null), Is.Zero);
        var names = Directory.GetFiles(a.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Is.EqualTo(new[] { "NvmeMediator.cs", "nvme.dot", "nvme.md", "nvme.mmd" }));
        foreach (var n in names)
        {
            Assert.That(Hash.Sha256File(b.File(n!)), Is.EqualTo(Hash.Sha256File(a.File(n!))), n);
        }
    }

    [Test]
    public void Graph_UnknownExtension_IsRefused()
    {
        Assert.That(() => SpecTool.Graph(Repo.SpecPath("ide"), "/tmp/x.png", TextWriter.Null, TextWriter.Null),
            Throws.TypeOf<SpecToolException>().With.Message.Contains(".dot (Graphviz), .mmd (Mermaid) or .svg"));
    }

    [Test]
    public void Graph_Mermaid_WritesTheStateDiagram()
    {
        using var dir = new TempDir();
        Assert.That(SpecTool.Graph(Repo.SpecPath("ide"), dir.File("ide.mmd"), TextWriter.Null, TextWriter.Null), Is.Zero);
        var text = File.ReadAllText(dir.File("ide.mmd"));
        Assert.That(text, Does.StartWith("stateDiagram-v2\n"));
        Assert.That(text, Does.Contain("channel_Command --> channel_Dma : write BMICOM [BMICOM.START == 1]"));
    }

    [Test]
    public void Graph_Svg_IsRenderedByGraphvizDot()
    {
        Peer.Require("dot", "graphviz");
        using var dir = new TempDir();
        Assert.That(SpecTool.Graph(Repo.SpecPath("nvme"), dir.File("nvme.svg"), TextWriter.Null, TextWriter.Null), Is.Zero);
        var svg = File.ReadAllText(dir.File("nvme.svg"));
        Assert.That(svg, Does.Contain("<svg"));
        Assert.That(svg, Does.Contain("ShutDown"));
    }

    [Test]
    public void Graph_SvgWithoutGraphviz_NamesTheDebianPackage()
    {
        using var empty = new TempDir();
        var saved = Environment.GetEnvironmentVariable("PATH");
        try
        {
            Environment.SetEnvironmentVariable("PATH", empty.Path);
            Assert.That(() => SpecTool.Graph(Repo.SpecPath("nvme"), empty.File("x.svg"), TextWriter.Null, TextWriter.Null),
                Throws.TypeOf<SpecToolException>().With.Message.Contains("apt-get install graphviz"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", saved);
        }
    }
}
