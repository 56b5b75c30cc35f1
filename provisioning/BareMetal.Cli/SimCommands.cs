using System.CommandLine;

namespace BareMetal.Cli;

/// <summary>`baremetal sim`: placeholder until its part lands.</summary>
internal static class SimCommands
{
    public static Command Create()
    {
        var cmd = new Command("sim", "Simulate the de-virtualizable VMM's streaming deployment.");
        cmd.SetAction(_ => CliRunner.Fail("'sim' is not implemented yet"));
        return cmd;
    }
}
