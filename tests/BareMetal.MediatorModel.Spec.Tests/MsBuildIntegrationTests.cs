using System.Diagnostics;
using System.Text.RegularExpressions;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>A project that imports mediator-model/BareMetal.MediatorModel.Spec.Build/build/MediatorSpec.targets
/// and lists <c>&lt;MediatorSpec Include="..." /&gt;</c> gets the generated mediator at build time, under
/// the repository's strict settings; a broken spec fails its build with the spec's file(line,col) error.
/// Each case builds a tiny project with `dotnet build` (under the test's bin directory, so the
/// repository's Directory.Build.props applies).</summary>
[NonParallelizable]
public class MsBuildIntegrationTests
{
    private readonly List<string> _dirs = [];

    [TearDown]
    public void RemoveProjects()
    {
        foreach (var dir in _dirs)
        {
            Directory.Delete(dir, recursive: true);
        }

        _dirs.Clear();
    }

    private static string Targets => Path.Combine(Repo.Root, "mediator-model", "BareMetal.MediatorModel.Spec.Build", "build", "MediatorSpec.targets");

    private static string SpecProject => Path.Combine(Repo.Root, "mediator-model", "BareMetal.MediatorModel.Spec", "BareMetal.MediatorModel.Spec.csproj");

    [Test]
    public void ProjectListingAShippedSpec_BuildsWithTheGeneratedMediator()
    {
        var dir = NewProject(Repo.SpecPath("ahci"), """
            namespace MediatorSpecUse;

            internal static class Use
            {
                public static string Device(BareMetal.MediatorModel.Spec.Runtime.IGuestMemory memory) =>
                    new BareMetal.MediatorModel.Generated.AhciMediator(memory).DeviceName;
            }
            """);

        var (exit, output) = Build(dir);

        Assert.That(exit, Is.Zero, output);
        Assert.That(Directory.GetFiles(dir, "AhciMediator.g.cs", SearchOption.AllDirectories), Is.Not.Empty);
    }

    [Test]
    public void ProjectListingABrokenSpec_FailsWithTheSpecsLocation()
    {
        var broken = Directory.GetFiles(Path.Combine(Repo.TestDir, "Broken"), "*.mspec").Order(StringComparer.Ordinal).First();
        var expect = Regex.Match(File.ReadLines(broken).First(), @"// expect: (MS\d{4}) (\d+):(\d+) ");
        Assert.That(expect.Success, Is.True);
        var dir = NewProject(broken, "namespace MediatorSpecUse;\n\ninternal static class Use\n{\n}\n");

        var (exit, output) = Build(dir);

        Assert.That(exit, Is.Not.Zero);
        Assert.That(output, Does.Contain($"{broken}({expect.Groups[2].Value},{expect.Groups[3].Value}): error {expect.Groups[1].Value}:"));
    }

    private string NewProject(string spec, string source)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "msbuild-it", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        _dirs.Add(dir);
        File.WriteAllText(Path.Combine(dir, "MediatorSpecUse.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <ProjectReference Include="{SpecProject}" />
                <MediatorSpec Include="{spec}" />
              </ItemGroup>
              <Import Project="{Targets}" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Use.cs"), source);
        return dir;
    }

    private static (int Exit, string Output) Build(string dir)
    {
        var psi = new ProcessStartInfo("dotnet", ["build", "-c", "Release", "-nodeReuse:false", "-v:q", "-clp:NoSummary"])
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            psi.Environment.Remove(name);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("dotnet build did not finish in 5 minutes");
        }

        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
