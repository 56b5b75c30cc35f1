using System.CommandLine;
using BareMetal.MediatorModel.Spec.Tooling;

namespace BareMetal.Cli;

/// <summary>
/// `baremetal spec check|compile|graph`: the mediator spec compiler. Diagnostics print as
/// `file:line:col: error CODE: message` and exit 1; a request that cannot run (no such file, no
/// Graphviz for .svg) is a one-line error with exit 2.
/// </summary>
internal static class SpecCommands
{
    public static Command Create()
    {
        var cmd = new Command("spec", "Check, compile and graph device-mediator specifications.");
        cmd.Subcommands.Add(Check());
        cmd.Subcommands.Add(CompileCommand());
        cmd.Subcommands.Add(Graph());
        return cmd;
    }

    private static Argument<FileInfo> SpecArgument() => new("SPEC") { Description = "The device-interface spec (.mspec)." };

    private static Command Check()
    {
        var spec = SpecArgument();
        var cmd = new Command("check", "Parse and validate a spec; print its diagnostics.") { spec };
        cmd.SetAction(parse => Run(() => SpecTool.Check(parse.GetValue(spec)!.ToString(), Console.Out, Console.Error)));
        return cmd;
    }

    private static Command CompileCommand()
    {
        var spec = SpecArgument();
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Directory for the generated .cs, .md, .dot and .mmd.", Required = true };
        var cmd = new Command("compile", "Generate the C# mediator, the Markdown register reference and the state diagrams.") { spec, outDir };
        cmd.SetAction(parse => Run(() => SpecTool.Compile(parse.GetValue(spec)!.ToString(), parse.GetValue(outDir)!.FullName, Console.Out, Console.Error)));
        return cmd;
    }

    private static Command Graph()
    {
        var spec = SpecArgument();
        var output = new Option<FileInfo>("-o") { Description = "Output file: .dot (Graphviz), .mmd (Mermaid) or .svg (needs Debian's graphviz).", Required = true };
        var cmd = new Command("graph", "Draw the spec's state machines.") { spec, output };
        cmd.SetAction(parse => Run(() => SpecTool.Graph(parse.GetValue(spec)!.ToString(), parse.GetValue(output)!.FullName, Console.Out, Console.Error)));
        return cmd;
    }

    private static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (SpecToolException e)
        {
            throw new CliException(e.Message);
        }
    }
}
