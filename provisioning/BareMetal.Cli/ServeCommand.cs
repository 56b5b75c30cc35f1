using System.CommandLine;

namespace BareMetal.Cli;

/// <summary>`baremetal serve`: placeholder until its part lands.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var cmd = new Command("serve", "Run the whole server (TFTP, block service, web console) on embedded defaults.");
        cmd.SetAction(_ => CliRunner.Fail("'serve' is not implemented yet"));
        return cmd;
    }
}
