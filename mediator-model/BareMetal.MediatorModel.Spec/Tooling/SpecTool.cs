using System.Diagnostics;
using System.Globalization;
using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Tooling;

/// <summary>
/// What <c>baremetal spec check|compile|graph</c> do, kept here so that tests drive it without a
/// process: exit 0 on success, 1 when the spec has errors (printed one per line to <c>error</c>),
/// and <see cref="SpecToolException"/> for a request that cannot be carried out.
/// </summary>
public static class SpecTool
{
    public const int ExitOk = 0;
    public const int ExitSpecErrors = 1;

    /// <summary>Graphviz gets this long to lay out a diagram; it has been seen to spin on odd input.</summary>
    public static readonly TimeSpan DotTimeout = TimeSpan.FromSeconds(30);

    public static int Check(string specPath, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        var (spec, diagnostics) = SpecCompiler.Check(Read(specPath), specPath);
        if (Print(diagnostics, error))
        {
            return ExitSpecErrors;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{specPath}: ok: device '{spec!.Name}', {spec.Registers.Count} registers, {spec.Structs.Count} structures, {spec.Decodes.Sum(d => d.Decl.Cases.Count)} commands, {spec.Machines.Count} state machines"));
        return ExitOk;
    }

    public static int Compile(string specPath, string outDir, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        var result = SpecCompiler.Compile(Read(specPath), specPath);
        if (Print(result.Diagnostics, error))
        {
            return ExitSpecErrors;
        }
        var o = result.Outputs!;
        var stem = Path.GetFileNameWithoutExtension(specPath);
        Directory.CreateDirectory(outDir);
        foreach (var (name, text) in new[] { (o.ClassName + ".cs", o.CSharp), (stem + ".md", o.Markdown), (stem + ".dot", o.Dot), (stem + ".mmd", o.Mermaid) })
        {
            var path = Path.Combine(outDir, name);
            File.WriteAllText(path, text);
            output.WriteLine(path);
        }
        return ExitOk;
    }

    public static int Graph(string specPath, string outFile, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        var ext = Path.GetExtension(outFile).ToLowerInvariant();
        if (ext is not (".dot" or ".mmd" or ".svg"))
        {
            throw new SpecToolException($"cannot write a '{ext}' graph: use .dot (Graphviz), .mmd (Mermaid) or .svg");
        }
        var dotTool = ext == ".svg" ? FindDot() : null;
        var result = SpecCompiler.Compile(Read(specPath), specPath);
        if (Print(result.Diagnostics, error))
        {
            return ExitSpecErrors;
        }
        var o = result.Outputs!;
        switch (ext)
        {
            case ".dot":
                File.WriteAllText(outFile, o.Dot);
                break;
            case ".mmd":
                File.WriteAllText(outFile, o.Mermaid);
                break;
            default:
                File.WriteAllText(outFile, RenderSvg(dotTool!, o.Dot));
                break;
        }
        output.WriteLine(outFile);
        return ExitOk;
    }

    private static string Read(string specPath)
    {
        var info = new FileInfo(specPath);
        if (!info.Exists)
        {
            throw new SpecToolException($"spec file '{specPath}' not found");
        }
        // Bytes, not characters, but a UTF-8 spec is never smaller in bytes: refuse before reading.
        if (info.Length > (long)Syntax.Lexer.MaxSourceLength * 4)
        {
            throw new SpecToolException($"spec file '{specPath}' is {info.Length} bytes; specs are limited to {Syntax.Lexer.MaxSourceLength} characters");
        }
        return File.ReadAllText(specPath);
    }

    private static bool Print(IReadOnlyList<Diagnostic> diagnostics, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        foreach (var d in diagnostics)
        {
            error.WriteLine(d.ToString());
        }
        return diagnostics.Count > 0;
    }

    private static string FindDot()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "dot");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new SpecToolException("rendering .svg needs Graphviz's 'dot', which is not installed (Debian: apt-get install graphviz); .dot and .mmd need nothing");
    }

    /// <summary>Runs <c>dot -Tsvg</c> with the graph on stdin, killing it if it outlives <see cref="DotTimeout"/>.</summary>
    public static string RenderSvg(string dotTool, string dot)
    {
        ArgumentNullException.ThrowIfNull(dot);
        var psi = new ProcessStartInfo(dotTool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-Tsvg");
        using var p = Process.Start(psi) ?? throw new SpecToolException($"cannot start '{dotTool}'");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(dot);
        p.StandardInput.Close();
        if (!p.WaitForExit(DotTimeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new SpecToolException($"'{dotTool} -Tsvg' did not finish within {DotTimeout.TotalSeconds:0} s");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new SpecToolException($"'{dotTool} -Tsvg' exited {p.ExitCode}: {stderr.Result.Trim()}");
        }
        return stdout.Result;
    }
}
