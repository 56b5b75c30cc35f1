namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>The generated mediators compile with nullable, checked arithmetic, every warning level and warnings as errors.</summary>
public class GeneratedCodeTests
{
    public static IEnumerable<string> Specs => Repo.ShippedSpecs;

    [TestCaseSource(nameof(Specs))]
    public void GeneratedMediator_CompilesWithoutAnyWarning(string spec)
    {
        var result = SpecCompiler.Compile(File.ReadAllText(Repo.SpecPath(spec)), spec + ".mspec");
        Assert.That(result.Diagnostics, Is.Empty);

        var (assembly, problems) = GeneratedAssembly.Compile(result.Outputs!.CSharp, spec);

        Assert.That(problems, Is.Empty);
        Assert.That(assembly, Is.Not.Null);
    }

    [Test]
    public void GeneratedMediator_WithEveryAccessKind_CompilesWithoutAnyWarning()
    {
        var result = SpecCompiler.Compile(AccessSemanticsTests.Spec, "access.mspec");
        Assert.That(result.Diagnostics, Is.Empty);
        var (_, problems) = GeneratedAssembly.Compile(result.Outputs!.CSharp, "access");
        Assert.That(problems, Is.Empty);
    }
}
