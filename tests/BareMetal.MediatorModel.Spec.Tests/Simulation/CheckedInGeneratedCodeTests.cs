namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>The simulator compiles the generated mediators from checked-in copies
/// (mediator-model/BareMetal.MediatorModel.Simulation/Generated/*.g.cs, built with the project's
/// strict settings); they must be exactly what the compiler makes of the shipped specs today.</summary>
public class CheckedInGeneratedCodeTests
{
    public static IEnumerable<string> Specs => Repo.ShippedSpecs;

    [TestCaseSource(nameof(Specs))]
    public void CheckedInMediator_IsTheCompilersCurrentOutput(string spec)
    {
        var result = SpecCompiler.Compile(File.ReadAllText(Repo.SpecPath(spec)), spec + ".mspec");
        Assert.That(result.Diagnostics, Is.Empty);
        var path = Path.Combine(Repo.Root, "mediator-model", "BareMetal.MediatorModel.Simulation", "Generated", result.Outputs!.ClassName + ".g.cs");

        Assert.That(File.ReadAllText(path), Is.EqualTo(result.Outputs.CSharp),
            $"{path} is stale: run `baremetal spec compile mediator-model/specs/{spec}.mspec --out DIR` and copy {result.Outputs.ClassName}.cs over it");
    }
}
