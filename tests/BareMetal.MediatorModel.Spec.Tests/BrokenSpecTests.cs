namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>
/// Each file in Broken/ is a spec with one mistake (or a few) and, in its leading comment lines, the
/// exact diagnostics it must produce: <c>// expect: CODE line:col message</c>, in order.
/// </summary>
public class BrokenSpecTests
{
    private const string Prefix = "// expect: ";

    public static IEnumerable<TestCaseData> Cases() =>
        Directory.GetFiles(Path.Combine(Repo.TestDir, "Broken"), "*.mspec")
            .Order(StringComparer.Ordinal)
            .Select(p => new TestCaseData(Path.GetFileName(p)).SetName("Broken_" + Path.GetFileNameWithoutExtension(p)));

    [TestCaseSource(nameof(Cases))]
    public void Check_BrokenSpec_ReportsExactlyTheExpectedDiagnostics(string file)
    {
        var text = File.ReadAllText(Path.Combine(Repo.TestDir, "Broken", file));
        var expected = text.Split('\n').TakeWhile(l => l.StartsWith(Prefix, StringComparison.Ordinal)).Select(l => l[Prefix.Length..]).ToList();
        Assert.That(expected, Is.Not.Empty, $"{file} has no '{Prefix}' line");

        var result = SpecCompiler.Compile(text, file);

        var actual = result.Diagnostics.Select(d => $"{d.Code} {d.Location.Line}:{d.Location.Column} {d.Message}").ToList();
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(result.Outputs, Is.Null, "nothing is emitted while an error exists");
        Assert.That(result.Diagnostics.Select(d => d.File), Is.All.EqualTo(file));
    }

    [Test]
    public void BrokenCorpus_CoversAtLeastThirtySpecsAndManyCodes()
    {
        var files = Directory.GetFiles(Path.Combine(Repo.TestDir, "Broken"), "*.mspec");
        var codes = files.SelectMany(f => File.ReadLines(f).TakeWhile(l => l.StartsWith(Prefix, StringComparison.Ordinal)))
            .Select(l => l[Prefix.Length..].Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        Assert.That(files, Has.Length.GreaterThanOrEqualTo(30));
        Assert.That(codes, Has.Count.GreaterThanOrEqualTo(40));
    }
}
