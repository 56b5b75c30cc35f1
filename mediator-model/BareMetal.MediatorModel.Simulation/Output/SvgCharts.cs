using System.Globalization;
using System.Net;
using System.Text;
using BareMetal.MediatorModel.Simulation.Strategies;

namespace BareMetal.MediatorModel.Simulation.Output;

/// <summary>Hand-written SVG: a stacked start-up bar per strategy (like the seed's figure), and the
/// workload's throughput over time as a percentage of bare metal.</summary>
public static class SvgCharts
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Colours by phase label, picked to tell apart in print and for colour-blind readers.</summary>
    private static readonly Dictionary<string, string> PhaseColours = new()
    {
        ["Image copy"] = "#4e79a7",
        ["Reboot + firmware"] = "#f28e2b",
        ["OS boot"] = "#59a14f",
        ["VMM boot"] = "#b07aa1",
        ["KVM host boot"] = "#9c755f",
        ["Guest firmware"] = "#bab0ac",
    };

    private static readonly string[] LineColours = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#9c755f"];

    public static string StartupBars(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        const int left = 130, right = 30, top = 50, barH = 26, gap = 14, width = 860;
        var strategies = result.Strategies;
        var plotW = width - left - right;
        var height = top + (strategies.Count * (barH + gap)) + 80;
        var max = Math.Max(1, strategies.Max(s => double.IsNaN(s.StartupSeconds) ? 0 : s.StartupSeconds));
        var step = NiceStep(max / 6);
        var axisMax = Math.Ceiling(max * 1.08 / step) * step;
        var sb = Header(width, height, $"OS start-up time per strategy: {result.Scenario.Name}");
        for (var t = 0.0; t <= axisMax + 1e-9; t += step)
        {
            var x = left + (t / axisMax * plotW);
            sb.AppendLine(Inv, $"<line x1=\"{x:F1}\" y1=\"{top - 6}\" x2=\"{x:F1}\" y2=\"{height - 62}\" stroke=\"#ddd\"/>");
            sb.AppendLine(Inv, $"<text x=\"{x:F1}\" y=\"{height - 46}\" text-anchor=\"middle\">{t:0}</text>");
        }

        sb.AppendLine(Inv, $"<text x=\"{left + (plotW / 2)}\" y=\"{height - 26}\" text-anchor=\"middle\">Elapsed time (s)</text>");
        var legend = new List<string>();
        for (var i = 0; i < strategies.Count; i++)
        {
            var s = strategies[i];
            var y = top + (i * (barH + gap));
            sb.AppendLine(Inv, $"<text x=\"{left - 8}\" y=\"{y + (barH / 2) + 5}\" text-anchor=\"end\">{Esc(s.Strategy)}</text>");
            foreach (var p in s.Phases)
            {
                var x = left + (p.StartSeconds / axisMax * plotW);
                var w = Math.Max(0.5, p.Seconds / axisMax * plotW);
                var colour = PhaseColours.GetValueOrDefault(p.Label, "#999");
                if (!legend.Contains(p.Label))
                {
                    legend.Add(p.Label);
                }

                sb.AppendLine(Inv, $"<rect x=\"{x:F1}\" y=\"{y}\" width=\"{w:F1}\" height=\"{barH}\" fill=\"{colour}\"><title>{Esc(p.Label)}: {p.Seconds:F1} s</title></rect>");
                if (w > 34)
                {
                    sb.AppendLine(Inv, $"<text x=\"{x + (w / 2):F1}\" y=\"{y + (barH / 2) + 5}\" text-anchor=\"middle\" fill=\"#fff\">{p.Seconds:F0}</text>");
                }
            }

            if (!double.IsNaN(s.StartupSeconds))
            {
                var end = left + (s.StartupSeconds / axisMax * plotW);
                sb.AppendLine(Inv, $"<text x=\"{end + 6:F1}\" y=\"{y + (barH / 2) + 5}\">{s.StartupSeconds:F1} s</text>");
            }
        }

        var lx = left;
        foreach (var label in legend)
        {
            sb.AppendLine(Inv, $"<rect x=\"{lx}\" y=\"{height - 16}\" width=\"12\" height=\"12\" fill=\"{PhaseColours.GetValueOrDefault(label, "#999")}\"/>");
            sb.AppendLine(Inv, $"<text x=\"{lx + 16}\" y=\"{height - 6}\">{Esc(label)}</text>");
            lx += 30 + (label.Length * 7);
        }

        return sb.Append("</svg>\n").ToString();
    }

    public static string ThroughputTimeline(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        const int left = 70, right = 170, top = 50, bottom = 60, width = 900, height = 460;
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        var horizon = result.Scenario.HorizonSeconds;
        var bucket = result.Scenario.BucketSeconds;
        var series = result.Strategies.Where(s => s.ThroughputPercent.Count > 0).ToList();
        var maxPct = Math.Max(120, series.Count == 0 ? 0 : series.Max(s => s.ThroughputPercent.Max()));
        var yMax = Math.Ceiling(maxPct / 20) * 20;
        var sb = Header(width, height, $"Workload throughput, % of bare metal ({result.Scenario.Workload.Kind}): {result.Scenario.Name}");
        for (var p = 0.0; p <= yMax + 1e-9; p += 20)
        {
            var y = top + plotH - (p / yMax * plotH);
            sb.AppendLine(Inv, $"<line x1=\"{left}\" y1=\"{y:F1}\" x2=\"{left + plotW}\" y2=\"{y:F1}\" stroke=\"{(p == 100 ? "#888" : "#e5e5e5")}\"/>");
            sb.AppendLine(Inv, $"<text x=\"{left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{p:0}%</text>");
        }

        var xStep = NiceStep(horizon / 8);
        for (var t = 0.0; t <= horizon + 1e-9; t += xStep)
        {
            var x = left + (t / horizon * plotW);
            sb.AppendLine(Inv, $"<line x1=\"{x:F1}\" y1=\"{top + plotH}\" x2=\"{x:F1}\" y2=\"{top + plotH + 5}\" stroke=\"#333\"/>");
            sb.AppendLine(Inv, $"<text x=\"{x:F1}\" y=\"{top + plotH + 20}\" text-anchor=\"middle\">{t:0}</text>");
        }

        sb.AppendLine(Inv, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#333\"/>");
        sb.AppendLine(Inv, $"<text x=\"{left + (plotW / 2)}\" y=\"{height - 18}\" text-anchor=\"middle\">Elapsed time (s)</text>");
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var colour = LineColours[i % LineColours.Length];
            var points = new StringBuilder();
            for (var b = 0; b < s.ThroughputPercent.Count; b++)
            {
                var x = left + (((b + 0.5) * bucket) / horizon * plotW);
                var y = top + plotH - (Math.Min(s.ThroughputPercent[b], yMax) / yMax * plotH);
                points.Append(Inv, $"{x:F1},{y:F1} ");
            }

            sb.AppendLine(Inv, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{points.ToString().TrimEnd()}\"/>");
            if (!double.IsNaN(s.DevirtualizedSeconds) && s.DevirtualizedSeconds <= horizon)
            {
                var x = left + (s.DevirtualizedSeconds / horizon * plotW);
                sb.AppendLine(Inv, $"<line x1=\"{x:F1}\" y1=\"{top}\" x2=\"{x:F1}\" y2=\"{top + plotH}\" stroke=\"{colour}\" stroke-dasharray=\"4 3\"><title>{Esc(s.Strategy)} de-virtualized at {s.DevirtualizedSeconds:F0} s</title></line>");
            }

            var ly = top + 10 + (i * 20);
            sb.AppendLine(Inv, $"<line x1=\"{left + plotW + 12}\" y1=\"{ly}\" x2=\"{left + plotW + 32}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"3\"/>");
            sb.AppendLine(Inv, $"<text x=\"{left + plotW + 38}\" y=\"{ly + 4}\">{Esc(s.Strategy)}</text>");
        }

        sb.AppendLine(Inv, $"<text x=\"{left + plotW + 12}\" y=\"{top + 10 + (series.Count * 20) + 14}\" font-size=\"11\">dashed: de-virtualized</text>");
        return sb.Append("</svg>\n").ToString();
    }

    private static StringBuilder Header(int width, int height, string title)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"13\">");
        sb.AppendLine(Inv, $"<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>");
        sb.AppendLine(Inv, $"<text x=\"{width / 2}\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{Esc(title)}</text>");
        return sb;
    }

    private static double NiceStep(double raw)
    {
        if (raw <= 0)
        {
            return 1;
        }

        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var n = raw / mag;
        return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
    }

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
