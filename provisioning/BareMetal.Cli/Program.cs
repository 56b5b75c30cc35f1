using BareMetal.Cli;

// The one entry point: every verb lives in its own *Commands.cs file.
return await CliRunner.RunAsync(CliApp.CreateRoot(), args);
