using System.Text.Json;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>`baremetal sim list|run` (issue 6): the built-ins, --json, --seed, --out, and the errors a
/// user sees. Console output is captured, so these run one at a time.</summary>
[NonParallelizable]
public sealed class SimCliTests
{
    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => CliCapture.RunAsync(args);

    [Test]
    public async Task List_NamesEveryBuiltInScenario()
    {
        var (code, output, _) = await RunAsync("sim", "list");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero);
            Assert.That(output, Does.Contain("asplos15").And.Contain("many-nodes").And.Contain("real-small"));
        });
    }

    [Test]
    public async Task Run_Json_WithASeed_IsOneDocument_RepeatableAndWrittenToOut()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bm-sim-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var a = await RunAsync("sim", "run", "asplos15", "--json", "--seed", "7", "--out", dir);
            var b = await RunAsync("sim", "run", "asplos15", "--json", "--seed", "7");
            Assert.That(a.Code, Is.Zero, a.Err);
            using var doc = JsonDocument.Parse(a.Out);
            var strategies = doc.RootElement.GetProperty("strategies").EnumerateArray().Select(s => s.GetProperty("strategy").GetString()).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(doc.RootElement.GetProperty("seed").GetUInt64(), Is.EqualTo(7));
                Assert.That(strategies, Does.Contain("vmm").And.Contain("image-copy").And.Contain("nfs-root").And.Contain("kvm-nfs"));
                Assert.That(b.Out, Is.EqualTo(a.Out), "same seed, same bytes");
                Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "summary.csv", "summary.json", "timeline.csv", "startup.svg", "throughput.svg" }));
                Assert.That(File.ReadAllText(Path.Combine(dir, "summary.json")).Trim(), Is.EqualTo(a.Out.Trim()));
            });
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Test]
    public async Task Run_UnknownScenario_ExitsNonZero_AndListsTheBuiltIns()
    {
        var (code, output, err) = await RunAsync("sim", "run", "no-such-scenario");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Not.Zero);
            Assert.That(output, Is.Empty);
            Assert.That(err, Does.StartWith("baremetal: ").And.Contain("asplos15"));
        });
    }

    [Test]
    public async Task Run_ServerWithoutDisk_SaysBothAreNeeded()
    {
        var (code, _, err) = await RunAsync("sim", "run", "real-small", "--server", "nbd://127.0.0.1:1/x");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Not.Zero);
            Assert.That(err, Does.Contain("needs both --server"));
        });
    }
}
