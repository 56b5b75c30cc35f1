using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using BareMetal.ImageStore.Nbd.Client;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The block service's counters, per export and per client, as GET /api/v1/exports, /metrics and the
/// console's exports pages show them, after real reads over HTTP /disk and real reads and writes over NBD
/// (the server on Kestrel, so the client is 127.0.0.1 as it would be on the wire).
/// </summary>
public sealed partial class ExportCountersTests
{
    private const string Base = "counted.v1";
    private const string NodeExport = "counted.v1@525400aabb10";
    private const int Block = 64 * 1024;

    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private NbdClient _node = null!;

    [OneTimeSetUp]
    public async Task StartAndReadAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { Nbd = new IPEndPoint(IPAddress.Loopback, 0) }, testServer: false);
        _client = await _host.CookieClientAsync();
        using (var r = await ApiHost.UploadAsync(_client, "?name=counted", File.ReadAllBytes(_host.WriteRawImage("counted.img", mib: 2))))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created), await r.Content.ReadAsStringAsync());
        }

        // HTTP: 4 KiB in block 0, then 64 KiB + 4 KiB that touch blocks 2 and 3 (one range read: 128 KiB-256 KiB).
        using var anon = _host.Anonymous();
        foreach (var (from, to) in new[] { (0L, 4095L), (2L * Block, (3L * Block) - 1), (3L * Block, (3L * Block) + 4095) })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, "/disk/" + Base);
            get.Headers.Range = new RangeHeaderValue(from, to);
            using var r = await anon.SendAsync(get);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That((await r.Content.ReadAsByteArrayAsync()).Length, Is.EqualTo(to - from + 1));
        }

        // NBD, through the node's overlay (the name with its key, from its boot script): 8 KiB read in block 0, 4 KiB written in block 16.
        var keyed = await _host.StreamingExportAsync(_client, "52:54:00:aa:bb:10", "counted");
        Assert.That(keyed, Does.StartWith(NodeExport + "~"));
        var nbd = _host.Server.NbdEndPoint!;
        // Kept open to the end: its disconnect would be a third request.
        _node = await NbdClient.ConnectAsync("127.0.0.1", nbd.Port, keyed);
        await _node.ReadAsync(0, new byte[8192]);
        await _node.WriteAsync(16L * Block, new byte[4096]);

        // The HTTP export counts a chunk once it is written to the response, which the client may see first.
        await EventuallyAsync(async () => (await ExportAsync(Base)).GetProperty("counters").GetProperty("bytesRead").GetInt64() == 4096 + Block + 4096);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _node.DisposeAsync();
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Test]
    public async Task ExportsApi_HttpReads_CountBytesRequestsBlocksAndRegions_InTotalAndForTheClient()
    {
        var e = await ExportAsync(Base);

        Assert.That(e.GetProperty("node").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(e.GetProperty("readOnly").GetBoolean(), Is.True);
        Assert.That(e.GetProperty("sizeBytes").GetInt64(), Is.EqualTo(2 << 20));
        Assert.That(Counters(e.GetProperty("counters")), Is.EqualTo((73728L, 0L, 3L, 3L, 32L, 65536L, 2L, 196608L)));
        Assert.That(Regions(e.GetProperty("readRegions")), Is.EqualTo(new[] { "0+65536", "131072+131072" }));
        var client = e.GetProperty("clients").EnumerateArray().Single();
        Assert.That(client.GetProperty("client").GetString(), Is.EqualTo("127.0.0.1"));
        Assert.That(Counters(client.GetProperty("counters")), Is.EqualTo((73728L, 0L, 3L, 3L, 32L, 65536L, 2L, 196608L)));
        Assert.That(Regions(client.GetProperty("readRegions")), Is.EqualTo(new[] { "0+65536", "131072+131072" }));
    }

    [Test]
    public async Task ExportsApi_NbdReadAndWrite_ThroughANodesOverlay_CountOnThatExportOnly()
    {
        var e = await ExportAsync(NodeExport);

        Assert.That(e.GetProperty("node").GetString(), Is.EqualTo("52:54:00:aa:bb:10"));
        Assert.That(e.GetProperty("readOnly").GetBoolean(), Is.False);
        Assert.That(Counters(e.GetProperty("counters")), Is.EqualTo((8192L, 4096L, 2L, 2L, 32L, 65536L, 1L, 65536L)));
        Assert.That(Regions(e.GetProperty("readRegions")), Is.EqualTo(new[] { "0+65536" }));
        Assert.That(e.GetProperty("clients").EnumerateArray().Single().GetProperty("client").GetString(), Is.EqualTo("127.0.0.1"));
    }

    [Test]
    public async Task ExportsList_ShowsEveryBaseExport_EvenUnread_AndTheNodesExport()
    {
        using var r = await _client.GetAsync("/api/v1/exports");
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var list = JsonDocument.Parse(text).RootElement.EnumerateArray()
            .ToDictionary(x => x.GetProperty("name").GetString()!, x => (Requests: x.GetProperty("counters").GetProperty("requests").GetInt64(), Clients: x.GetProperty("clients").GetInt32()));

        Assert.That(list, Is.EquivalentTo(new Dictionary<string, (long, int)>
        {
            ["counted"] = (0, 0),
            [Base] = (3, 1),
            [NodeExport] = (2, 1),
        }));
    }

    [Test]
    public async Task ExportsApi_UnknownExport_Is404Problem_AndTheRoutesNeedAuth()
    {
        await Problem.AssertAsync(await _client.GetAsync("/api/v1/exports/nope.v9"), HttpStatusCode.NotFound, "no export 'nope.v9'");
        // A node name no node has opened is unknown too: asking must not create its overlay.
        await Problem.AssertAsync(await _client.GetAsync("/api/v1/exports/counted.v1@525400aabb99"), HttpStatusCode.NotFound, "no export");
        Assert.That(File.Exists(Path.Combine(_host.DataDirectory, "overlays", "counted.v1@525400aabb99.qcow2")), Is.False);
        using var anon = _host.Anonymous();
        using var r = await anon.GetAsync("/api/v1/exports");
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Metrics_HavePerExportAndPerClientSeries_WithTheCountedValues_AndTheOldNames()
    {
        using var anon = _host.Anonymous();
        var text = await anon.GetStringAsync("/metrics");
        var samples = text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').ToHashSet(StringComparer.Ordinal);

        Assert.That(samples, Is.SupersetOf(new[]
        {
            "baremetal_export_read_bytes_total{export=\"counted.v1\"} 73728",
            "baremetal_export_written_bytes_total{export=\"counted.v1\"} 0",
            "baremetal_export_requests_total{export=\"counted.v1\"} 3",
            "baremetal_export_blocks_touched{export=\"counted.v1\"} 3",
            "baremetal_export_blocks{export=\"counted.v1\"} 32",
            "baremetal_export_read_regions{export=\"counted.v1\"} 2",
            "baremetal_export_read_covered_bytes{export=\"counted.v1\"} 196608",
            "baremetal_export_clients{export=\"counted.v1\"} 1",
            "baremetal_export_requests_total{export=\"counted\"} 0",
            "baremetal_export_client_read_bytes_total{client=\"127.0.0.1\",export=\"counted.v1\"} 73728",
            "baremetal_export_client_requests_total{client=\"127.0.0.1\",export=\"counted.v1\"} 3",
            "baremetal_export_client_blocks_touched{client=\"127.0.0.1\",export=\"counted.v1\"} 3",
            "baremetal_export_client_read_regions{client=\"127.0.0.1\",export=\"counted.v1\"} 2",
            "baremetal_export_written_bytes_total{export=\"counted.v1@525400aabb10\"} 4096",
            "baremetal_export_client_written_bytes_total{client=\"127.0.0.1\",export=\"counted.v1@525400aabb10\"} 4096",
            // The meter's series, under the names they always had.
            "baremetal_baremetal_nbd_bytes_read_bytes{export=\"counted.v1\"} 73728",
            "baremetal_baremetal_nbd_requests{export=\"counted.v1\"} 3",
            "baremetal_baremetal_nbd_bytes_written_bytes{export=\"counted.v1@525400aabb10\"} 4096",
        }), text);
        Assert.That(text, Does.Contain("# TYPE baremetal_export_read_bytes_total counter\n"));
        Assert.That(text, Does.Contain("# TYPE baremetal_export_client_blocks_touched gauge\n"));
    }

    [Test]
    public async Task ExportsPage_ListsEachExportsCounters_AndIsInTheNavigation()
    {
        var html = await _client.GetStringAsync("/exports");

        Assert.That(html, Does.Contain("<a href=\"/exports\" aria-current=\"page\">Exports</a>"));
        var row = Row(html, "data-export=\"counted.v1\"");
        Assert.That(row, Does.Contain("data-field=\"read\">72.0 KiB<"));
        Assert.That(row, Does.Contain("data-field=\"written\">0 B<"));
        Assert.That(row, Does.Contain("data-field=\"requests\">3<"));
        Assert.That(row, Does.Contain("data-field=\"blocks\">3 of 32<"));
        Assert.That(row, Does.Contain("data-field=\"clients\">1<"));
        var nodeRow = Row(html, "data-export=\"counted.v1@525400aabb10\"");
        Assert.That(nodeRow, Does.Contain("52:54:00:aa:bb:10"));
        Assert.That(nodeRow, Does.Contain("data-field=\"written\">4.0 KiB<"));
        Assert.That(nodeRow, Does.Contain("data-field=\"blocks\">2 of 32<"));
    }

    [Test]
    public async Task ExportDetailsPage_ShowsTheCounters_TheRegionsReadAsAnSvg_AndAClientRow()
    {
        var html = await _client.GetStringAsync("/exports/" + Base);

        Assert.That(html, Does.Contain("data-field=\"requests\">3<"));
        Assert.That(html, Does.Contain("data-field=\"blocks\">3 of 32 "));
        // 256 columns of 8 KiB: blocks 0 (columns 0-7) and 2-3 (columns 16-31) were read.
        var svg = Svg(html, "read-map");
        Assert.That(svg, Does.Contain("<title id=\"read-map-title\">Regions read: 9.4 % read, in 2 ranges</title>"));
        var columns = DataColumn().Matches(svg).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(columns, Is.EqualTo(Enumerable.Range(0, 8).Concat(Enumerable.Range(16, 16))));
        var client = Row(html, "data-client=\"127.0.0.1\"");
        Assert.That(client, Does.Contain("data-field=\"read\">72.0 KiB<"));
        Assert.That(client, Does.Contain("data-field=\"blocks\">3 of 32<"));
        Assert.That(DataColumn().Matches(Svg(client, "client-map-0")).Count, Is.EqualTo(24));
    }

    [Test]
    public async Task ExportDetailsPage_UnknownExport_Is404()
    {
        using var r = await _client.GetAsync("/exports/nope.v9");
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [GeneratedRegex("<rect class=\"data\" x=\"(\\d+)\" y=\"0\" width=\"1\" height=\"100\"")]
    private static partial Regex DataColumn();

    private async Task<JsonElement> ExportAsync(string name)
    {
        using var r = await _client.GetAsync("/api/v1/exports/" + Uri.EscapeDataString(name));
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static (long, long, long, long, long, long, long, long) Counters(JsonElement c) => (
        c.GetProperty("bytesRead").GetInt64(), c.GetProperty("bytesWritten").GetInt64(), c.GetProperty("requests").GetInt64(),
        c.GetProperty("blocksTouched").GetInt64(), c.GetProperty("blocks").GetInt64(), c.GetProperty("blockSize").GetInt64(),
        c.GetProperty("readRegionCount").GetInt64(), c.GetProperty("readBytesCovered").GetInt64());

    private static string[] Regions(JsonElement regions) =>
        [.. regions.EnumerateArray().Select(r => $"{r[0].GetInt64()}+{r[1].GetInt64()}")];

    /// <summary>The table row (or other element) that carries <paramref name="attribute"/>, up to its end tag.</summary>
    private static string Row(string html, string attribute)
    {
        var at = html.IndexOf(attribute, StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThanOrEqualTo(0), $"no {attribute} in the page");
        return html[at..html.IndexOf("</tr>", at, StringComparison.Ordinal)];
    }

    private static string Svg(string html, string id)
    {
        var at = html.IndexOf($"aria-labelledby=\"{id}-title\"", StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThanOrEqualTo(0), $"no SVG {id}");
        return html[at..html.IndexOf("</svg>", at, StringComparison.Ordinal)];
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the counters never reached the expected figures");
            await Task.Delay(20);
        }
    }
}
