using System.CommandLine;
using BareMetal.Cli;

// The one entry point: every verb lives in its own *Commands.cs file.
var root = new RootCommand("BareMetal: network-boot, stream and deploy operating systems onto physical machines.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ImageCommands.Create());
root.Subcommands.Add(ApiCommands.Node());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(SimCommands.Create());
root.Subcommands.Add(SpecCommands.Create());
return await CliRunner.RunAsync(root, args);
