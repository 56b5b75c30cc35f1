using System.CommandLine;

namespace BareMetal.Cli;

/// <summary>`baremetal spec`: placeholder until its part lands.</summary>
internal static class SpecCommands
{
    public static Command Create()
    {
        var cmd = new Command("spec", "Check, compile and graph device-mediator specifications.");
        cmd.SetAction(_ => CliRunner.Fail("'spec' is not implemented yet"));
        return cmd;
    }
}
