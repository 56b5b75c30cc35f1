using BareMetal.MediatorModel.Spec.Diagnostics;
using BareMetal.MediatorModel.Spec.Syntax;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>The hard caps: a hostile file gets a bounded report, never an unbounded one.</summary>
public class DiagnosticLimitTests
{
    [Test]
    public void ManyErrors_StopAtTheCapWithOneNote()
    {
        var text = "device d {\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"    reg R{i} @ 0x{i * 4:X} : 24 rw;\n")) + "    safepoint 1;\n}\n";

        var result = SpecCompiler.Compile(text, "many.mspec");

        Assert.That(result.Diagnostics, Has.Count.EqualTo(DiagnosticBag.MaxDiagnostics + 1));
        Assert.That(result.Diagnostics.Take(DiagnosticBag.MaxDiagnostics).Select(d => d.Code), Is.All.EqualTo(DiagnosticCodes.BadWidth));
        Assert.That(result.Diagnostics[^1].Code, Is.EqualTo(DiagnosticCodes.TooManyErrors));
        Assert.That(result.Diagnostics[^1].Message, Is.EqualTo("too many errors; stopped after 100"));
    }

    [Test]
    public void OversizedFile_IsRefusedBeforeLexing()
    {
        var result = SpecCompiler.Compile(new string(' ', Lexer.MaxSourceLength + 1), "big.mspec");
        Assert.That(result.Diagnostics.Single().ToString(),
            Is.EqualTo($"big.mspec:1:1: error MS0005: spec is {Lexer.MaxSourceLength + 1} characters; the limit is {Lexer.MaxSourceLength}"));
    }

    [Test]
    public void DeepNesting_IsOneDiagnosticNotAStackOverflow()
    {
        var text = "device d {\n    reg A @ 0 : 32 rw;\n    safepoint " + new string('(', 100_000) + "A" + new string(')', 100_000) + " == 0;\n}\n";
        var result = SpecCompiler.Compile(text, "deep.mspec");
        Assert.That(result.Diagnostics.Select(d => d.Code), Is.EqualTo(new[] { DiagnosticCodes.NestingTooDeep }));
    }

    [Test]
    public void SyntaxErrors_InSeveralDeclarations_AreAllReported()
    {
        const string text = "device d {\n    reg A @ : 32 rw;\n    struct S size { }\n    machine m { initial ; }\n    reg B @ 4 : 32 rw;\n    safepoint B == 0;\n}\n";
        var result = SpecCompiler.Compile(text, "s.mspec");
        Assert.That(result.Diagnostics.Select(d => d.Location.Line), Is.EqualTo(new[] { 2, 3, 4 }));
    }
}
