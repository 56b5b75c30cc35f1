using System.CommandLine;

namespace BareMetal.Cli;

/// <summary>`baremetal export`: placeholder until its part lands.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var cmd = new Command("export", "Serve one image over NBD and HTTP range without the catalog.");
        cmd.SetAction(_ => CliRunner.Fail("'export' is not implemented yet"));
        return cmd;
    }
}
