using BareMetal.MediatorModel.Spec;

namespace BareMetal.MediatorModel.Spec.Build;

/// <summary>
/// <c>dotnet BareMetal.MediatorModel.Spec.Build.dll OUTDIR SPEC...</c>: compiles each spec to
/// OUTDIR/&lt;Device&gt;Mediator.g.cs (rewritten only when the text changes, so incremental builds stay
/// incremental). Diagnostics are printed in MSBuild's canonical form
/// (<c>file(line,col): error MSxxxx: message</c>) so the build shows them as errors with locations.
/// Exit code 1 on any diagnostic, 2 on bad usage.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: BareMetal.MediatorModel.Spec.Build OUTDIR SPEC...");
            return 2;
        }

        var outDir = args[0];
        Directory.CreateDirectory(outDir);
        var failed = false;
        var classes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var spec in args.Skip(1))
        {
            string text;
            try
            {
                text = File.ReadAllText(spec);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.WriteLine($"{spec}: error MS0000: cannot read the spec: {e.Message}");
                failed = true;
                continue;
            }

            var result = SpecCompiler.Compile(text, spec);
            foreach (var d in result.Diagnostics)
            {
                Console.WriteLine(FormattableString.Invariant($"{d.File}({d.Location.Line},{d.Location.Column}): error {d.Code}: {d.Message}"));
            }

            if (result.Outputs is not { } outputs)
            {
                failed = true;
                continue;
            }

            if (classes.TryGetValue(outputs.ClassName, out var other))
            {
                Console.WriteLine($"{spec}: error MS0000: {outputs.ClassName} is also generated from {other}");
                failed = true;
                continue;
            }

            classes[outputs.ClassName] = spec;
            var path = Path.Combine(outDir, outputs.ClassName + ".g.cs");
            if (!File.Exists(path) || !string.Equals(File.ReadAllText(path), outputs.CSharp, StringComparison.Ordinal))
            {
                File.WriteAllText(path, outputs.CSharp);
            }
        }

        // Generated files of specs no longer listed would still be compiled: remove them.
        foreach (var stale in Directory.GetFiles(outDir, "*.g.cs"))
        {
            if (!classes.ContainsKey(Path.GetFileName(stale)[..^".g.cs".Length]))
            {
                File.Delete(stale);
            }
        }

        return failed ? 1 : 0;
    }
}
