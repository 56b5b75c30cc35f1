using System.Globalization;
using System.Text;
using System.Text.Json;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Simulation.Output;

/// <summary>Renders a run as a text table, JSON, CSV and SVG. Everything is invariant-culture and
/// contains no wall-clock data, so equal runs give byte-identical files.</summary>
public static class SummaryWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Table(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"scenario {result.Scenario.Name}: {result.Scenario.Node.Count} node(s), {result.Scenario.ImageGiB} GiB image, workload {result.Scenario.Workload.Kind}");
        sb.AppendLine(Inv, $"{"strategy",-14} {"OS ready s",10} {"max s",8} {"copy s",8} {"devirt s",9} {"%bm deploy",10} {"%bm after",9}  phases");
        foreach (var s in result.Strategies)
        {
            var phases = string.Join(" + ", s.Phases.Select(p => string.Create(Inv, $"{p.Label} {p.Seconds:F1}")));
            sb.AppendLine(Inv, $"{s.Strategy,-14} {s.StartupSeconds,10:F1} {s.StartupMaxSeconds,8:F1} {F(s.CopyCompleteSeconds),8} {F(s.DevirtualizedSeconds),9} {F(s.PercentWhileDeploying),10} {F(s.PercentAfterDeployment),9}  {phases}");
            if (s.Nodes > 1)
            {
                var n = s.NodeStartupSeconds;
                var tenth = Math.Max(1, n.Count / 10);
                sb.AppendLine(Inv, $"  {s.Nodes} nodes: OS ready p10 {s.StartupPercentile(0.1):F1} s, p50 {s.StartupPercentile(0.5):F1} s, p90 {s.StartupPercentile(0.9):F1} s; first {tenth} started avg {n.Take(tenth).Average():F1} s, last {tenth} avg {n.TakeLast(tenth).Average():F1} s");
            }

            if (s.Violations > 0)
            {
                sb.AppendLine(Inv, $"  !! {s.Violations} correctness violations, first: {s.FirstViolation}");
            }
        }

        var first = result.Strategies[0];
        // An idle workload (many-nodes) has no throughput to compare: say so rather than print NaN.
        var baseline = double.IsNaN(result.BareMetalThroughput) ? "none (workload idle)" : string.Create(Inv, $"{result.BareMetalThroughput:F1} {result.ThroughputUnit}");
        sb.AppendLine(Inv, $"server link busy {first.ServerLinkUtilization:P1} of the horizon, node links {first.NodeLinkUtilization:P1} on average ({first.Strategy}); bare-metal throughput {baseline}");
        return sb.ToString();

        static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("F1", Inv);
    }

    public static string Json(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("scenario", result.Scenario.Name);
            w.WriteNumber("seed", result.Seed);
            w.WriteNumber("nodes", result.Scenario.Node.Count);
            w.WriteString("workload", result.Scenario.Workload.Kind);
            Num(w, "bareMetalThroughput", result.BareMetalThroughput);
            w.WriteString("throughputUnit", result.ThroughputUnit);
            w.WriteNumber("bucketSeconds", result.Scenario.BucketSeconds);
            w.WriteStartArray("strategies");
            foreach (var s in result.Strategies)
            {
                w.WriteStartObject();
                w.WriteString("strategy", s.Strategy);
                Num(w, "osReadySeconds", s.StartupSeconds);
                Num(w, "osReadyMaxSeconds", s.StartupMaxSeconds);
                Num(w, "osReadyP50Seconds", s.StartupPercentile(0.5));
                Num(w, "osReadyP90Seconds", s.StartupPercentile(0.9));
                Num(w, "copyCompleteSeconds", s.CopyCompleteSeconds);
                Num(w, "devirtualizedSeconds", s.DevirtualizedSeconds);
                Num(w, "percentOfBareMetalWhileDeploying", s.PercentWhileDeploying);
                Num(w, "percentOfBareMetalAfter", s.PercentAfterDeployment);
                Num(w, "serverLinkUtilization", s.ServerLinkUtilization);
                Num(w, "nodeLinkUtilization", s.NodeLinkUtilization);
                w.WriteNumber("serverRequests", s.ServerRequests);
                w.WriteNumber("events", s.Events);
                w.WriteNumber("vmExits", s.Exits);
                w.WriteNumber("redirectedReads", s.Redirected);
                w.WriteNumber("prefetchCacheReads", s.CacheServed);
                w.WriteNumber("heldGuestCommands", s.Held);
                w.WriteNumber("violations", s.Violations);
                w.WriteStartArray("phases");
                foreach (var p in s.Phases)
                {
                    w.WriteStartObject();
                    w.WriteString("label", p.Label);
                    Num(w, "start", p.StartSeconds);
                    Num(w, "seconds", p.Seconds);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("throughputPercent");
                foreach (var v in s.ThroughputPercent)
                {
                    w.WriteNumberValue(Math.Round(v, 2));
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());

        static void Num(Utf8JsonWriter w, string name, double v)
        {
            if (double.IsNaN(v) || double.IsInfinity(v))
            {
                w.WriteNull(name);
            }
            else
            {
                w.WriteNumber(name, Math.Round(v, 4));
            }
        }
    }

    public static string SummaryCsv(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder("strategy,nodes,os_ready_s,os_ready_max_s,copy_complete_s,devirtualized_s,pct_bare_metal_deploying,pct_bare_metal_after,server_link_utilization,phases\n");
        foreach (var s in result.Strategies)
        {
            var phases = string.Join(";", s.Phases.Select(p => string.Create(Inv, $"{p.Label}={p.Seconds:F3}")));
            sb.AppendLine(Inv, $"{s.Strategy},{s.Nodes},{C(s.StartupSeconds)},{C(s.StartupMaxSeconds)},{C(s.CopyCompleteSeconds)},{C(s.DevirtualizedSeconds)},{C(s.PercentWhileDeploying)},{C(s.PercentAfterDeployment)},{C(s.ServerLinkUtilization)},\"{phases}\"");
        }

        return sb.ToString();
    }

    public static string TimelineCsv(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder("time_s");
        foreach (var s in result.Strategies)
        {
            sb.Append(',').Append(s.Strategy);
        }

        sb.Append('\n');
        var n = result.Strategies.Max(s => s.ThroughputPercent.Count);
        for (var i = 0; i < n; i++)
        {
            sb.Append(((i + 1) * result.Scenario.BucketSeconds).ToString("F1", Inv));
            foreach (var s in result.Strategies)
            {
                sb.Append(',').Append(i < s.ThroughputPercent.Count ? s.ThroughputPercent[i].ToString("F2", Inv) : "");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Writes summary.csv, summary.json, timeline.csv, startup.svg and throughput.svg.</summary>
    public static IReadOnlyList<string> WriteAll(RunResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var files = new (string Name, string Text)[]
        {
            ("summary.csv", SummaryCsv(result)),
            ("summary.json", Json(result)),
            ("timeline.csv", TimelineCsv(result)),
            ("startup.svg", SvgCharts.StartupBars(result)),
            ("throughput.svg", SvgCharts.ThroughputTimeline(result)),
        };
        var written = new List<string>();
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, text);
            written.Add(path);
        }

        return written;
    }

    private static string C(double v) => double.IsNaN(v) ? "" : v.ToString("F3", Inv);
}
