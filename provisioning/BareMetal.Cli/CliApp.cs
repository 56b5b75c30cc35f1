using System.CommandLine;

namespace BareMetal.Cli;

/// <summary>The command tree (Program.cs runs it; tests run it in process).</summary>
internal static class CliApp
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("BareMetal: network-boot, stream and deploy operating systems onto physical machines.");
        root.Subcommands.Add(ServeCommand.Create());
        var image = ImageCommands.Create();
        foreach (var verb in ApiCommands.ImageVerbs())
        {
            image.Subcommands.Add(verb);
        }
        root.Subcommands.Add(image);
        root.Subcommands.Add(ApiCommands.Node());
        root.Subcommands.Add(LoginCommands.Login());
        root.Subcommands.Add(LoginCommands.Logout());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(SimCommands.Create());
        root.Subcommands.Add(SpecCommands.Create());
        return root;
    }
}
