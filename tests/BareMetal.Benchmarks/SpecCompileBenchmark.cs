using BareMetal.MediatorModel.Spec;
using BenchmarkDotNet.Attributes;

namespace BareMetal.Benchmarks;

/// <summary>
/// Compiling every shipped spec (ahci, ide, nvme) through all passes and emitters; the target is well
/// under one second for the three together.
/// dotnet run -c Release --project tests/BareMetal.Benchmarks -- --filter '*SpecCompile*'
/// </summary>
[MemoryDiagnoser]
public class SpecCompileBenchmark
{
    private readonly List<(string Name, string Text)> _specs = [];

    [GlobalSetup]
    public void Setup()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BareMetal.sln")))
        {
            dir = dir.Parent;
        }
        var specs = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("BareMetal.sln not found"), "mediator-model", "specs");
        foreach (var path in Directory.GetFiles(specs, "*.mspec").Order(StringComparer.Ordinal))
        {
            _specs.Add((Path.GetFileName(path), File.ReadAllText(path)));
        }
    }

    /// <summary>All passes and all four emitters, for every shipped spec.</summary>
    [Benchmark]
    public int CompileAllShippedSpecs()
    {
        var chars = 0;
        foreach (var (name, text) in _specs)
        {
            var o = SpecCompiler.Compile(text, name).Outputs ?? throw new InvalidOperationException(name + " has errors");
            chars += o.CSharp.Length + o.Markdown.Length + o.Dot.Length + o.Mermaid.Length;
        }
        return chars;
    }

    /// <summary>Lexer, parser and binder only: what `baremetal spec check` costs.</summary>
    [Benchmark]
    public int CheckAllShippedSpecs()
    {
        var registers = 0;
        foreach (var (name, text) in _specs)
        {
            registers += SpecCompiler.Check(text, name).Spec?.Registers.Count ?? throw new InvalidOperationException(name + " has errors");
        }
        return registers;
    }
}
