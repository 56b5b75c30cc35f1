using System.Reflection;
using BareMetal.MediatorModel.Spec.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>Compiles generated mediator source in memory with the project's strict settings.</summary>
internal static class GeneratedAssembly
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        var tpa = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return tpa.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(IGeneratedMediator).Assembly.Location)
            .Distinct(StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
    });

    /// <summary>Every diagnostic of warning level or above (warnings are errors here, as in Directory.Build.props).</summary>
    public static (Assembly? Assembly, IReadOnlyList<string> Problems) Compile(string source, string name)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: name + ".cs");
        var options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            checkOverflow: true,
            optimizationLevel: OptimizationLevel.Release,
            warningLevel: 9999,
            generalDiagnosticOption: ReportDiagnostic.Error,
            deterministic: true);
        var compilation = CSharpCompilation.Create(name + "_" + Guid.NewGuid().ToString("N"), [tree], References.Value, options);
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        var problems = result.Diagnostics
            .Where(d => d.Severity >= DiagnosticSeverity.Warning || d.IsWarningAsError)
            .Select(d => d.ToString())
            .ToList();
        if (!result.Success)
        {
            return (null, problems);
        }
        return (Assembly.Load(pe.ToArray()), problems);
    }

    public static IGeneratedMediator Create(Assembly assembly, string className, IGuestMemory memory)
    {
        var type = assembly.GetType("BareMetal.MediatorModel.Generated." + className, throwOnError: true)!;
        return (IGeneratedMediator)Activator.CreateInstance(type, memory)!;
    }

    private static readonly Dictionary<string, Assembly> Cache = new(StringComparer.Ordinal);

    /// <summary>The shipped spec compiled once per test run.</summary>
    public static IGeneratedMediator Shipped(string spec, IGuestMemory memory)
    {
        Assembly asm;
        string cls;
        lock (Cache)
        {
            var result = SpecCompiler.Compile(File.ReadAllText(Repo.SpecPath(spec)), spec + ".mspec");
            Assert.That(result.Diagnostics, Is.Empty);
            cls = result.Outputs!.ClassName;
            if (!Cache.TryGetValue(spec, out asm!))
            {
                var (compiled, problems) = Compile(result.Outputs.CSharp, spec);
                Assert.That(problems, Is.Empty);
                asm = compiled!;
                Cache[spec] = asm;
            }
        }
        return Create(asm, cls, memory);
    }
}
