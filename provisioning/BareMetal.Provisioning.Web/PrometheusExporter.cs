using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// Collects every BareMetal.* meter through a MeterListener and renders the Prometheus text format
/// (prometheus-net and the OpenTelemetry exporters are not to be had here). Counters are summed,
/// up-down counters and gauges keep their last value; observable instruments are polled per scrape.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();

    public PrometheusExporter(string meterPrefix = "BareMetal.")
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith(meterPrefix, StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var name = MetricName(instrument);
        var labels = Labels(tags);
        var cumulative = instrument is Counter<long> or Counter<int> or Counter<double>;
        var kind = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => "counter",
            _ => "gauge",
        };
        var s = _series.GetOrAdd((name, labels), _ => new Series(kind, instrument.Description));
        lock (s)
        {
            s.Value = cumulative ? s.Value + value : value;
        }
    }

    /// <summary>Renders all series (polling observable instruments first).</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var group in _series.OrderBy(kv => kv.Key.Name, StringComparer.Ordinal).ThenBy(kv => kv.Key.Labels, StringComparer.Ordinal).GroupBy(kv => kv.Key.Name))
        {
            var first = group.First().Value;
            if (!string.IsNullOrEmpty(first.Help))
            {
                sb.Append(CultureInfo.InvariantCulture, $"# HELP {group.Key} {first.Help.Replace('\n', ' ')}\n");
            }
            sb.Append(CultureInfo.InvariantCulture, $"# TYPE {group.Key} {first.Kind}\n");
            foreach (var (key, series) in group)
            {
                double v;
                lock (series)
                {
                    v = series.Value;
                }
                sb.Append(key.Name).Append(key.Labels).Append(' ').Append(v.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        return sb.ToString();
    }

    private static string MetricName(Instrument instrument)
    {
        var sb = new StringBuilder("baremetal_");
        foreach (var c in instrument.Name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_');
        }
        if (!string.IsNullOrEmpty(instrument.Unit) && instrument.Unit is "By" or "bytes")
        {
            sb.Append("_bytes");
        }
        return sb.ToString();
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        var pairs = new List<string>(tags.Length);
        foreach (var (k, v) in tags)
        {
            var value = EscapeLabelValue(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");
            var key = new string(k.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
            pairs.Add($"{key}=\"{value}\"");
        }
        pairs.Sort(StringComparer.Ordinal);
        return "{" + string.Join(',', pairs) + "}";
    }

    /// <summary>A label value as the text format wants it: backslash, double quote and newline escaped.</summary>
    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public void Dispose() => _listener.Dispose();

    private sealed class Series(string kind, string? help)
    {
        public string Kind { get; } = kind;
        public string? Help { get; } = help;
        public double Value { get; set; }
    }
}
