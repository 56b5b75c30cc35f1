using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using BareMetal.MediatorModel.Spec;

namespace BareMetal.Fuzz.Tests.Spec;

/// <summary>
/// Mutated spec text must only ever produce diagnostics (or, when the mutant is still a valid spec,
/// outputs): never an exception, a hang, or a diagnostic without a position. Seeded, so a failure
/// reproduces; bounded in count and in time so that CI stays within its budget.
/// </summary>
public partial class SpecFuzzTests
{
    private const int Iterations = 100_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", "(", ")", ";", ":", ",", ".", "@", "->", "*", "=", "|=", "&=", "==", "<<", ">>", "?", "!", "~",
        "device", "reg", "array", "struct", "var", "decode", "doorbell", "on", "machine", "state", "initial", "safepoint",
        "interrupt", "when", "mediate", "interpret", "redirect", "multiplex", "devirtualize", "complete:", "let", "if", "else",
        "bits", "ring", "write", "read", "at", "by", "size", "stride", "reset", "default", "queued", "lba", "count", "tag",
        "index", "item", "u8", "u16", "u64", "rw", "ro", "wo", "w1c", "w1s", "rc", "0", "1", "64", "0xFFFF_FFFF_FFFF_FFFF",
        "0x1_0000_0000_0000_0000", "0b102", "99999999999999999999", "\"", "\"doc\"", "/*", "*/", "//", "\n", "\t", "\0", "é", "\uFFFF",
        "PxCI", "PxSACT", "port", "sq_tail", "Idle", "((((((((", "))))))))",
    ];

    [GeneratedRegex(@"^MS\d{4}$")]
    private static partial Regex CodePattern();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BareMetal.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("BareMetal.sln not found");
    }

    private static List<string> Corpus()
    {
        var root = FindRoot();
        return Directory.GetFiles(Path.Combine(root, "mediator-model", "specs"), "*.mspec")
            .Concat(Directory.GetFiles(Path.Combine(root, "tests", "BareMetal.MediatorModel.Spec.Tests", "Broken"), "*.mspec"))
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToList();
    }

    private static string Mutate(string text, Random rng)
    {
        var sb = new StringBuilder(text);
        var edits = 1 + rng.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var pos = sb.Length == 0 ? 0 : rng.Next(sb.Length);
            switch (rng.Next(7))
            {
                case 0: // delete a run
                    sb.Remove(pos, Math.Min(sb.Length - pos, 1 + rng.Next(40)));
                    break;
                case 1: // insert a fragment of the language (or of its nightmares)
                    sb.Insert(pos, Fragments[rng.Next(Fragments.Length)]);
                    break;
                case 2: // flip one character
                    if (sb.Length > 0)
                    {
                        sb[pos] = (char)rng.Next(0x20, 0x7F);
                    }
                    break;
                case 3: // duplicate a run somewhere else
                    {
                        var len = Math.Min(sb.Length - pos, 1 + rng.Next(200));
                        var chunk = sb.ToString(pos, len);
                        sb.Insert(sb.Length == 0 ? 0 : rng.Next(sb.Length), chunk);
                        break;
                    }
                case 4: // truncate
                    sb.Length = pos;
                    break;
                case 5: // replace a number with an extreme one
                    sb.Insert(pos, rng.Next(2) == 0 ? "0xFFFFFFFFFFFFFFFF" : "4097");
                    break;
                default: // swap two characters
                    if (sb.Length > 1)
                    {
                        var other = rng.Next(sb.Length);
                        (sb[pos], sb[other]) = (sb[other], sb[pos]);
                    }
                    break;
            }
        }
        return sb.ToString();
    }

    [Test]
    public void MutatedSpecs_NeverThrow_AndOnlyProducePositionedDiagnostics()
    {
        var corpus = Corpus();
        Assert.That(corpus, Has.Count.GreaterThanOrEqualTo(33));
        var rng = new Random(20_151_030);
        var clock = Stopwatch.StartNew();
        var ran = 0;
        var succeeded = 0;
        for (; ran < Iterations && clock.Elapsed < Budget; ran++)
        {
            var text = Mutate(corpus[rng.Next(corpus.Count)], rng);
            CompilationResult result;
            try
            {
                result = SpecCompiler.Compile(text, "fuzz.mspec");
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {ran}: {ex.GetType().Name}: {ex.Message}\n--- input ---\n{text}");
                return;
            }
            Assert.That(result.Diagnostics, Has.Count.LessThanOrEqualTo(101), $"iteration {ran}");
            foreach (var d in result.Diagnostics)
            {
                if (d.Location.Line < 1 || d.Location.Column < 1 || !CodePattern().IsMatch(d.Code) || d.Message.Length == 0)
                {
                    Assert.Fail($"iteration {ran}: malformed diagnostic {d}\n--- input ---\n{text}");
                }
            }
            Assert.That(result.Succeeded, Is.EqualTo(result.Diagnostics.Count == 0), $"iteration {ran}");
            if (result.Succeeded)
            {
                succeeded++;
            }
        }
        TestContext.Out.WriteLine($"{ran} mutants in {clock.Elapsed.TotalSeconds:F1} s, {succeeded} still valid");
        Assert.That(ran, Is.GreaterThanOrEqualTo(1000), "the time budget allowed too few iterations to mean anything");
    }

    public static IEnumerable<TestCaseData> Pathological()
    {
        yield return new TestCaseData(new string('(', 200_000)).SetName("Pathological_DeepParentheses");
        yield return new TestCaseData("device d {" + new string('{', 100_000)).SetName("Pathological_DeepBraces");
        yield return new TestCaseData("device d { safepoint " + string.Concat(Enumerable.Repeat("!", 100_000)) + "1; }").SetName("Pathological_LongUnaryChain");
        yield return new TestCaseData("device d { safepoint A" + string.Concat(Enumerable.Repeat(".B", 50_000)) + "; }").SetName("Pathological_LongMemberChain");
        yield return new TestCaseData(new string('$', 500_000)).SetName("Pathological_ManyBadCharacters");
        yield return new TestCaseData(new string('x', (1 << 20) + 1)).SetName("Pathological_TooLarge");
        yield return new TestCaseData("device d { " + string.Concat(Enumerable.Repeat("reg A @ 0 : 32 rw; ", 5000)) + "}").SetName("Pathological_ManyDuplicates");
        yield return new TestCaseData("device d { array p[4096] @ 0 stride 8 { reg X @ 0 : 64 rw; } array q[4096] @ 4 stride 8 { reg Y @ 0 : 32 rw; } safepoint 1; }").SetName("Pathological_BigOverlappingArrays");
        yield return new TestCaseData("\"" + new string('a', 100_000)).SetName("Pathological_UnterminatedString");
        yield return new TestCaseData("").SetName("Pathological_Empty");
    }

    [TestCaseSource(nameof(Pathological))]
    public void PathologicalInput_GivesBoundedDiagnosticsQuickly(string text)
    {
        var clock = Stopwatch.StartNew();
        var result = SpecCompiler.Compile(text, "p.mspec");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(result.Diagnostics, Is.Not.Empty);
        Assert.That(result.Diagnostics, Has.Count.LessThanOrEqualTo(101));
    }
}
