using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.Provisioning.Web.Hosting;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>The per-client series of /metrics stay bounded however many clients an export has seen.</summary>
public sealed class ExportMetricsTests
{
    [Test]
    public void Render_ManyClients_GivesSeriesToTheBusiestOnly_AndCountsThemAll()
    {
        // 20 clients, 10.0.0.1 reading 1 byte ... 10.0.0.20 reading 20 bytes.
        var clients = Enumerable.Range(1, 20)
            .Select(i => new ExportClientReport($"10.0.0.{i}", Snapshot(bytesRead: i)))
            .ToList();
        var report = new ExportReport("img.v1", null, null, true, 1 << 20, Snapshot(bytesRead: 210), clients);

        var lines = ExportMetrics.Render([report]).Split('\n');

        var perClient = lines.Where(l => l.StartsWith("baremetal_export_client_read_bytes_total{", StringComparison.Ordinal)).ToList();
        Assert.That(perClient, Has.Count.EqualTo(ExportMetrics.MaxClientSeries));
        Assert.That(perClient, Has.Member("baremetal_export_client_read_bytes_total{client=\"10.0.0.20\",export=\"img.v1\"} 20"));
        Assert.That(perClient, Has.Member("baremetal_export_client_read_bytes_total{client=\"10.0.0.5\",export=\"img.v1\"} 5"));
        Assert.That(perClient.Any(l => l.Contains("\"10.0.0.4\"", StringComparison.Ordinal)), Is.False, "the four quietest have no series");
        Assert.That(lines, Has.Member("baremetal_export_clients{export=\"img.v1\"} 20"));
        Assert.That(lines, Has.Member("baremetal_export_read_bytes_total{export=\"img.v1\"} 210"));
    }

    [Test]
    public void Render_LabelValues_AreEscaped()
    {
        var report = new ExportReport("a\"b\\c", null, null, true, 65536, Snapshot(bytesRead: 1), []);

        Assert.That(ExportMetrics.Render([report]), Does.Contain("baremetal_export_read_bytes_total{export=\"a\\\"b\\\\c\"} 1\n"));
    }

    private static CounterSnapshot Snapshot(long bytesRead) => new(bytesRead, 0, 1, 1, 65536, 16, [(0, 65536)]);
}
