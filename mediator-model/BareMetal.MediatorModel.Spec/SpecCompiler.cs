using BareMetal.MediatorModel.Spec.Ast;
using BareMetal.MediatorModel.Spec.Binding;
using BareMetal.MediatorModel.Spec.Diagnostics;
using BareMetal.MediatorModel.Spec.Emit;
using BareMetal.MediatorModel.Spec.Syntax;

namespace BareMetal.MediatorModel.Spec;

/// <summary>
/// The pipeline: Lexer -> Parser -> Binder -> emitters (C#, Markdown, DOT, Mermaid). Never throws
/// on any input text: every problem becomes a diagnostic, and nothing is emitted while one exists.
/// </summary>
public static class SpecCompiler
{
    /// <summary>Front end only: diagnostics and, when there are none, the bound model.</summary>
    public static (BoundSpec? Spec, IReadOnlyList<Diagnostic> Diagnostics) Check(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var diagnostics = new DiagnosticBag(fileName);
        var tokens = Lexer.Lex(text, diagnostics);
        // An oversized file is refused whole (one diagnostic), not parsed as an empty one.
        DeviceDecl? device = diagnostics.IsFull || text.Length > Lexer.MaxSourceLength ? null : Parser.Parse(tokens, diagnostics);
        BoundSpec? spec = null;
        // Binding a tree with syntax errors would mostly report their echoes; bind only a clean parse.
        if (device is not null && !diagnostics.HasErrors)
        {
            spec = Binder.Bind(device, diagnostics);
        }
        return (diagnostics.HasErrors ? null : spec, diagnostics.Items);
    }

    public static CompilationResult Compile(string text, string fileName)
    {
        var (spec, diagnostics) = Check(text, fileName);
        if (spec is null)
        {
            return new CompilationResult(diagnostics, null);
        }
        var source = Path.GetFileName(fileName);
        var outputs = new GeneratedOutputs(
            CSharpEmitter.ClassName(spec),
            CSharpEmitter.Emit(spec, source),
            MarkdownEmitter.Emit(spec, source),
            DiagramEmitter.EmitDot(spec),
            DiagramEmitter.EmitMermaid(spec));
        return new CompilationResult(diagnostics, outputs);
    }
}
