using System.CommandLine;
using System.Globalization;
using BareMetal.ImageStore.Nbd.Client;
using BareMetal.MediatorModel.Simulation.Output;
using BareMetal.MediatorModel.Simulation.Real;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.Cli;

/// <summary>`baremetal sim list` and `baremetal sim run SCENARIO|NAME`: the mediator-model simulator.</summary>
internal static class SimCommands
{
    internal static Command Create()
    {
        var cmd = new Command("sim", "Simulate the de-virtualizable VMM's streaming deployment against other strategies.");
        cmd.Subcommands.Add(CreateList());
        cmd.Subcommands.Add(CreateRun());
        return cmd;
    }

    private static Command CreateList()
    {
        var list = new Command("list", "List the built-in scenarios.");
        list.SetAction(_ =>
        {
            foreach (var name in ScenarioLoader.BuiltInNames())
            {
                var s = ScenarioLoader.BuiltIn(name);
                Console.WriteLine($"{name,-16} {s.Description}");
            }

            return 0;
        });
        return list;
    }

    private static Command CreateRun()
    {
        var scenarioArg = new Argument<string>("SCENARIO") { Description = "A scenario YAML file or the name of a built-in scenario." };
        var outOpt = new Option<string>("--out") { Description = "Directory for summary.csv, summary.json, timeline.csv and the SVG charts." };
        var jsonOpt = new Option<bool>("--json") { Description = "Print the JSON summary instead of the table." };
        var seedOpt = new Option<ulong?>("--seed") { Description = "Override the scenario's seed." };
        var serverOpt = new Option<string>("--server") { Description = "Real-network mode: nbd://HOST[:PORT]/EXPORT whose blocks the simulated VMM streams and copies (the export's size is the image size)." };
        var diskOpt = new Option<string>("--disk") { Description = "Real-network mode: the local-disk FILE the copy and the guest's writes go to (created or truncated)." };
        var run = new Command("run", "Run every strategy of a scenario and report start-up, copy, de-virtualization and throughput.");
        run.Arguments.Add(scenarioArg);
        run.Options.Add(outOpt);
        run.Options.Add(jsonOpt);
        run.Options.Add(seedOpt);
        run.Options.Add(serverOpt);
        run.Options.Add(diskOpt);
        run.SetAction(parse =>
        {
            Scenario scenario;
            try
            {
                scenario = ScenarioLoader.Resolve(parse.GetValue(scenarioArg)!);
            }
            catch (ScenarioException e)
            {
                throw new CliException(e.Message);
            }

            var server = parse.GetValue(serverOpt);
            var disk = parse.GetValue(diskOpt);
            if ((server is null) != (disk is null))
            {
                throw new CliException("real-network mode needs both --server nbd://HOST:PORT/EXPORT and --disk FILE");
            }

            var wall = System.Diagnostics.Stopwatch.StartNew();
            RunResult result;
            string? realReport = null;
            if (server is not null && disk is not null)
            {
                (result, realReport) = RunReal(scenario, server, disk, parse.GetValue(seedOpt));
            }
            else
            {
                result = ScenarioRunner.Run(scenario, parse.GetValue(seedOpt));
            }

            wall.Stop();
            if (parse.GetValue(jsonOpt))
            {
                Console.WriteLine(SummaryWriter.Json(result));
                if (realReport is not null)
                {
                    Console.Error.Write(realReport); // stdout stays one JSON document
                }
            }
            else
            {
                Console.Write(SummaryWriter.Table(result));
                if (realReport is not null)
                {
                    Console.Write(realReport);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"simulated in {wall.Elapsed.TotalSeconds:F1} s wall time"));
            }

            var dir = parse.GetValue(outOpt);
            if (dir is not null)
            {
                foreach (var file in SummaryWriter.WriteAll(result, dir))
                {
                    Console.Error.WriteLine($"wrote {file}");
                }
            }

            return 0;
        });
        return run;
    }

    private static (RunResult Result, string Report) RunReal(Scenario scenario, string server, string disk, ulong? seed)
    {
        NbdUri uri;
        try
        {
            uri = NbdUri.Parse(server);
        }
        catch (FormatException e)
        {
            throw new CliException($"--server: {e.Message}");
        }

        try
        {
            var client = NbdClient.ConnectAsync(uri).GetAwaiter().GetResult();
            try
            {
                return RunReal(scenario, uri, client, disk, seed);
            }
            finally
            {
                client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        catch (NbdClientException e)
        {
            throw new CliException($"{uri}: {e.Message}");
        }
    }

    private static (RunResult Result, string Report) RunReal(Scenario scenario, NbdUri uri, NbdClient client, string disk, ulong? seed)
    {
        try
        {
            if (client.Size < 1 << 20)
            {
                throw new CliException($"{uri} is {client.Size} bytes; real-network mode needs an export of at least 1 MiB");
            }

            using var real = new RealNetworkMode(client, disk, Console.Error);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"real-network mode: {uri} ({client.Size} bytes) -> {disk}; scenario {scenario.Name} with imageGiB = {real.ImageBytes / (double)(1L << 30):G6} (the export's size)"));
            RunResult result;
            try
            {
                result = ScenarioRunner.RunReal(scenario, real, seed);
            }
            catch (ScenarioException e)
            {
                throw new CliException($"scenario {scenario.Name} does not fit the export: {e.Message}");
            }

            var seconds = real.Wall.TotalSeconds;
            var report = string.Create(CultureInfo.InvariantCulture,
                $"real network: read {real.NetworkBytes / 1048576.0:F1} MiB from {uri}, wrote {real.DiskBytesWritten / 1048576.0:F1} MiB to {disk} ({real.GuestBlocksWritten} guest blocks) in {seconds:F1} s wall ({real.NetworkBytes / 1048576.0 / Math.Max(seconds, 1e-9):F1} MiB/s)\n" +
                $"local disk sha256 {real.DiskSha256()}\n");
            return (result, report);
        }
        catch (NbdClientException e)
        {
            throw new CliException($"{uri}: {e.Message}");
        }
        catch (RealNetworkException e)
        {
            throw new CliException(e.Message);
        }
        catch (IOException e)
        {
            throw new CliException($"--disk {disk}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException($"--disk {disk}: {e.Message}");
        }
    }
}
