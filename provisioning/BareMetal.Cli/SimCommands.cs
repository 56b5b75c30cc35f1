using System.CommandLine;
using System.Globalization;
using BareMetal.MediatorModel.Simulation.Output;
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
        var run = new Command("run", "Run every strategy of a scenario and report start-up, copy, de-virtualization and throughput.");
        run.Arguments.Add(scenarioArg);
        run.Options.Add(outOpt);
        run.Options.Add(jsonOpt);
        run.Options.Add(seedOpt);
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

            var wall = System.Diagnostics.Stopwatch.StartNew();
            var result = ScenarioRunner.Run(scenario, parse.GetValue(seedOpt));
            wall.Stop();
            if (parse.GetValue(jsonOpt))
            {
                Console.WriteLine(SummaryWriter.Json(result));
            }
            else
            {
                Console.Write(SummaryWriter.Table(result));
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
}
