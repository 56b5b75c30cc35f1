using System.Text;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.Fuzz.Tests.Sim;

/// <summary>Hostile scenario YAML: mutations of the built-in scenarios and random text must either
/// parse into a valid scenario or fail with <see cref="ScenarioException"/>; never another exception,
/// never a hang. Bounded by count and by time.</summary>
public class ScenarioYamlFuzzTests
{
    private const int Iterations = 3000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    private static readonly string[] Tokens =
    [
        ":", "- ", "[", "]", "{", "}", "\n", "  ", "&a ", "*a", "!!str ", "!!int ", "'", "\"", "#", "---\n", "...", "|", ">", "?", ",",
        "-1", "0", "1e308", "NaN", ".inf", "-.inf", "99999999999999999999", "null", "~", "true", "0x10", "nodes", "count", "imageGiB",
        "node", "disk", "kind", "hdd", "strategies", "vmm", "workload", "<<: *a", "\t", "\0", "\u00e9",
    ];

    [Test]
    public void Parse_MutatedScenarios_OnlyEverThrowsScenarioException()
    {
        var seeds = ScenarioLoader.BuiltInNames().Select(ScenarioLoader.BuiltInText).ToArray();
        var rng = new Random(20150314); // fixed: a failure reproduces
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var accepted = 0;
        for (var i = 0; i < Iterations && clock.Elapsed < Budget; i++)
        {
            var text = Mutate(seeds[rng.Next(seeds.Length)], rng);
            try
            {
                var scenario = ScenarioLoader.Parse(text);
                scenario.Validate();
                accepted++;
            }
            catch (ScenarioException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: {e.GetType().Name}: {e.Message}\n--- input ---\n{text}");
            }
        }

        Assert.That(accepted, Is.GreaterThan(0), "no mutant parsed: the mutator only produces garbage");
    }

    [Test]
    public void Parse_RandomBytes_OnlyEverThrowsScenarioException()
    {
        var rng = new Random(7);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < Iterations && clock.Elapsed < Budget; i++)
        {
            var bytes = new byte[rng.Next(0, 200)];
            rng.NextBytes(bytes);
            var text = Encoding.UTF8.GetString(bytes);
            try
            {
                ScenarioLoader.Parse(text);
            }
            catch (ScenarioException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    [Test]
    public void Parse_DeepNestingAndHugeInput_FailCleanly()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("name: x\nnode: " + new string('[', 10_000)));
            Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(new string('#', ScenarioLoader.MaxYamlChars + 1)));
            Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("a: &a [*a, *a]\n"));
        });
    }

    private static string Mutate(string text, Random rng)
    {
        var sb = new StringBuilder(text);
        var edits = rng.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var at = rng.Next(sb.Length + 1);
            switch (rng.Next(4))
            {
                case 0:
                    sb.Insert(at, Tokens[rng.Next(Tokens.Length)]);
                    break;
                case 1 when sb.Length > 0:
                    sb.Remove(Math.Min(at, sb.Length - 1), Math.Min(rng.Next(1, 20), sb.Length - Math.Min(at, sb.Length - 1)));
                    break;
                case 2:
                    // Replace a number with an extreme one: ranges and overflow.
                    var digits = Enumerable.Range(0, sb.Length).Where(k => char.IsDigit(sb[k])).ToList();
                    if (digits.Count > 0)
                    {
                        var k = digits[rng.Next(digits.Count)];
                        sb.Remove(k, 1).Insert(k, Tokens[rng.Next(21, 28)]);
                    }

                    break;
                default:
                    if (sb.Length > 0)
                    {
                        sb[Math.Min(at, sb.Length - 1)] = (char)rng.Next(32, 127);
                    }

                    break;
            }
        }

        return sb.ToString();
    }
}
