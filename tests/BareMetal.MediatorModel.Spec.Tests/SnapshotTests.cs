namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>
/// The generated C#, Markdown, DOT and Mermaid of each shipped spec against committed files in
/// Snapshots/. When a change to the compiler or a spec is intended, re-bless with
/// <c>BAREMETAL_BLESS=1 dotnet test tests/BareMetal.MediatorModel.Spec.Tests --filter Snapshot</c>
/// and review the diff before committing.
/// </summary>
public class SnapshotTests
{
    private const string BlessVariable = "BAREMETAL_BLESS";

    public static IEnumerable<string> Specs => Repo.ShippedSpecs;

    [TestCaseSource(nameof(Specs))]
    public void Compile_ShippedSpec_MatchesSnapshots(string spec)
    {
        var result = SpecCompiler.Compile(File.ReadAllText(Repo.SpecPath(spec)), spec + ".mspec");
        Assert.That(result.Diagnostics, Is.Empty);
        var o = result.Outputs!;
        var files = new List<(string Name, string Text)>
        {
            (o.ClassName + ".cs", o.CSharp),
            (spec + ".md", o.Markdown),
            (spec + ".dot", o.Dot),
            (spec + ".mmd", o.Mermaid),
        };
        var dir = Path.Combine(Repo.TestDir, "Snapshots", spec);
        var bless = Environment.GetEnvironmentVariable(BlessVariable) == "1";
        var failures = new List<string>();
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(dir, name);
            if (bless)
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(path, text);
                continue;
            }
            if (!File.Exists(path))
            {
                failures.Add($"{path} is missing");
                continue;
            }
            var expected = File.ReadAllText(path);
            if (expected != text)
            {
                failures.Add($"{name} differs from {path} at {FirstDifference(expected, text)}");
            }
        }
        Assert.That(failures, Is.Empty,
            $"generated output changed; if intended, re-bless with {BlessVariable}=1 dotnet test tests/BareMetal.MediatorModel.Spec.Tests --filter Snapshot and review the diff");
    }

    [TestCaseSource(nameof(Specs))]
    public void Compile_SameSpecTwice_IsByteIdentical(string spec)
    {
        var text = File.ReadAllText(Repo.SpecPath(spec));
        var a = SpecCompiler.Compile(text, spec + ".mspec").Outputs!;
        var b = SpecCompiler.Compile(new string(text.AsSpan()), spec + ".mspec").Outputs!;
        Assert.That(b, Is.EqualTo(a));
        Assert.That(a.CSharp, Does.Not.Contain("\r"));
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end>";
            var al = i < a.Length ? a[i] : "<end>";
            if (el != al)
            {
                return $"line {i + 1}: expected `{el.Trim()}` but generated `{al.Trim()}`";
            }
        }
        return "line endings";
    }
}
