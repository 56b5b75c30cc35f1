using System.CommandLine;
using BareMetal.ImageStore.Cli;

// `baremetal-image image VERB ...`: the same verbs, arguments and output as `baremetal image VERB ...`.
var root = new RootCommand("BareMetal's offline image tool (the `image` verbs of `baremetal`, compiled native).");
root.Subcommands.Add(ImageCommands.Create());
return await CliRunner.RunAsync(root, args);
