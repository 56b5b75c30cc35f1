using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using BareMetal.ImageStore.Nbd.Client;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// Issue 16's hostile neighbour, over real sockets with the server's own address verifier: node A is
/// pinned at 127.0.0.1 and node B at 127.0.0.3 (loopback has no lease or neighbour entry, so the
/// addresses given by hand are what binds them), and a stranger speaks from 127.0.0.2. The stranger
/// cannot fetch either script, open either overlay (over HTTP or NBD, with or without a stolen key),
/// make an overlay, or move a deployment; each attempt is in the audit log. The
/// honest node streams as before.
/// </summary>
public class NodeIsolationTests
{
    private const string MacA = "52:54:00:15:00:0a";
    private const string MacB = "52:54:00:15:00:0b";
    private const string Stranger = "127.0.0.2";

    private ApiHost _host = null!;
    private HttpClient _admin = null!;
    private string _exportA = null!;
    private string _keyA = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { Nbd = new IPEndPoint(IPAddress.Loopback, 0), NodeAddresses = null }, testServer: false);
        _admin = await _host.TokenClientAsync();
        await _host.UploadTinyImageAsync(_admin);
        foreach (var (mac, ip) in new[] { (MacA, "127.0.0.1"), (MacB, "127.0.0.3") })
        {
            await ApiHost.JsonAsync(await _admin.PostAsJsonAsync("/api/v1/nodes", new { mac, ip }), HttpStatusCode.Created);
            await ApiHost.JsonAsync(await _admin.PutAsJsonAsync($"/api/v1/nodes/{mac}/assignment", new { image = "tiny", mode = "stream" }), HttpStatusCode.OK);
        }
        using var a = From("127.0.0.1");
        _exportA = ApiHost.DiskExportIn(await a.GetStringAsync($"/boot/{MacA}.ipxe"));
        _keyA = _exportA[(_exportA.IndexOf('~', StringComparison.Ordinal) + 1)..];
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>An HTTP client whose connections come from <paramref name="local"/>.</summary>
    private HttpClient From(string local) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (ctx, ct) =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            s.Bind(new IPEndPoint(IPAddress.Parse(local), 0));
            await s.ConnectAsync(ctx.DnsEndPoint, ct);
            return new NetworkStream(s, ownsSocket: true);
        },
    })
    { BaseAddress = _host.Server.HttpAddress };

    /// <summary>An NBD connection from <paramref name="local"/>.</summary>
    private async Task<NbdClient> NbdFromAsync(string local, string export)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        s.Bind(new IPEndPoint(IPAddress.Parse(local), 0));
        await s.ConnectAsync(IPAddress.Loopback, _host.NbdPort);
        return await NbdClient.OpenAsync(new NetworkStream(s, ownsSocket: true), export);
    }

    private static async Task<HttpStatusCode> ReadAsync(HttpClient client, string export)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, "/disk/" + export);
        get.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 511);
        using var r = await client.SendAsync(get);
        return r.StatusCode;
    }

    private string Overlays => Path.Combine(_host.DataDirectory, "overlays");

    [Test]
    public async Task TheNode_StreamsItsOwnDisk_OverHttpAndNbd()
    {
        Assert.That(_exportA, Does.Match("^tiny\\.v1@52540015000a~[a-z2-7]{26}$"));
        using var a = From("127.0.0.1");
        Assert.That(await ReadAsync(a, _exportA), Is.EqualTo(HttpStatusCode.PartialContent));
        await using var nbd = await NbdFromAsync("127.0.0.1", _exportA);
        await nbd.WriteAsync(0, new byte[512]);
        Assert.That(File.Exists(Path.Combine(Overlays, "tiny.v1@52540015000a.qcow2")), Is.True, "its overlay, named without the key");
    }

    [Test]
    public async Task AStranger_GetsNoScript_AndMovesNoDeployment()
    {
        using var stranger = From(Stranger);
        foreach (var url in new[] { $"/boot/{MacA}.ipxe", $"/boot/{MacB}.ipxe", $"/boot/{MacA}/deploy-done", $"/boot/{MacA}/deploy-failed?reason=x",
                     $"/boot/{MacA}/os-up", $"/boot/{MacA}/os-up?key={_keyA}", $"/boot/{MacA}/deploy-done?key={_keyA}" })
        {
            using var r = await stranger.GetAsync(url);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), url);
            Assert.That(await r.Content.ReadAsStringAsync(), Does.Contain("Not this node"), url);
        }
        using (var r = await stranger.PostAsJsonAsync($"/api/v1/nodes/{MacA}/events?key={_keyA}", new { @event = "failed", detail = "hostile" }))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
        var current = await ApiHost.JsonAsync(await _admin.GetAsync($"/api/v1/deployments/{MacA}"), HttpStatusCode.OK);
        Assert.That(current[0].GetProperty("state").GetString(), Is.Not.EqualTo("failed").And.Not.EqualTo("done"), "nothing moved");

        // An unknown MAC gets the wait script, and is not registered by asking.
        Assert.That(await stranger.GetStringAsync("/boot/52:54:00:15:00:99.ipxe"), Does.Contain("is not assigned yet"));
        await Problem.AssertAsync(await _admin.GetAsync("/api/v1/nodes/52:54:00:15:00:99"), HttpStatusCode.NotFound);
    }

    [Test]
    public async Task AStranger_OpensNoOverlay_WithOrWithoutAStolenKey_OverHttpOrNbd()
    {
        using var stranger = From(Stranger);
        var keyless = _exportA[.._exportA.IndexOf('~', StringComparison.Ordinal)];
        foreach (var export in new[] { _exportA, keyless, "tiny.v1@52540015000b", "tiny@52540015000a~" + _keyA })
        {
            Assert.That(await ReadAsync(stranger, export), Is.EqualTo(HttpStatusCode.NotFound), export);
            var e = Assert.ThrowsAsync<NbdClientException>(async () => await (await NbdFromAsync(Stranger, export)).DisposeAsync());
            Assert.That(e!.Message, Does.Contain("does not exist"), export);
        }
        using var a = From("127.0.0.1");
        Assert.That(await ReadAsync(a, keyless), Is.EqualTo(HttpStatusCode.NotFound), "the node itself needs its key");
        Assert.That(await ReadAsync(a, "tiny.v1@52540015000b"), Is.EqualTo(HttpStatusCode.NotFound), "and opens no other node's overlay");
        Assert.That(await ReadAsync(stranger, "tiny.v1"), Is.EqualTo(HttpStatusCode.PartialContent), "base images stay readable");
    }

    [Test]
    public async Task TenThousandInventedOverlayNames_LeaveNoFile_KeepMemoryFlat_AndAFewAuditRows()
    {
        using var stranger = From(Stranger);
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < 10_000; i++)
        {
            using var head = await stranger.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/disk/tiny.v1@5254{i:x8}"));
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
        for (var i = 0; i < 200; i++)
        {
            Assert.ThrowsAsync<NbdClientException>(async () => await (await NbdFromAsync(Stranger, $"tiny.v1@6254{i:x8}~{_keyA}")).DisposeAsync());
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.That(Directory.GetFiles(Overlays).Where(f => f.Contains("@5254", StringComparison.Ordinal) || f.Contains("@6254", StringComparison.Ordinal)), Is.Empty);
        Assert.That(after - before, Is.LessThan(16L << 20), $"memory grew {after - before} bytes");

        var refused = await ApiHost.JsonAsync(await _admin.GetAsync("/api/v1/audit?outcome=refused&limit=1000"), HttpStatusCode.OK);
        var fromStranger = refused.EnumerateArray().Where(e => e.GetProperty("source").GetString() == Stranger).ToList();
        Assert.That(fromStranger.Count(e => e.GetProperty("action").GetString() == "export.open.http"), Is.LessThanOrEqualTo(25), "coalesced, not 10 000 rows");
        Assert.That(fromStranger.Any(e => e.GetProperty("action").GetString() == "export.open.nbd"), Is.True);
    }

    [Test]
    public async Task EveryRefusal_IsAudited_WithWhoWhereAndWhy()
    {
        using var stranger = From(Stranger);
        using (var r = await stranger.GetAsync($"/boot/{MacB}.ipxe"))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
        Assert.That(await ReadAsync(stranger, _exportA), Is.EqualTo(HttpStatusCode.NotFound));
        var audit = await ApiHost.JsonAsync(await _admin.GetAsync("/api/v1/audit?limit=1000"), HttpStatusCode.OK);
        var entries = audit.EnumerateArray().ToList();
        Assert.That(entries.Any(e => Entry(e, "boot-script", MacB, "refused") && e.GetProperty("detail").GetString()!.Contains("127.0.0.2 is not node 52:54:00:15:00:0b's address", StringComparison.Ordinal)), Is.True);
        Assert.That(entries.Any(e => Entry(e, "export.open.http", "tiny.v1@52540015000a", "refused") && e.GetProperty("actor").GetString() == MacA), Is.True);
        Assert.That(entries.Any(e => e.GetProperty("action").GetString() == "PUT /api/v1/nodes/{mac}/assignment" && e.GetProperty("actor").GetString() == "tests (token)"), Is.True, "the operator's changes too");
        Assert.That(entries.All(e => !(e.GetProperty("detail").GetString() ?? "").Contains(_keyA, StringComparison.Ordinal)
                                     && !(e.GetProperty("target").GetString() ?? "").Contains(_keyA, StringComparison.Ordinal)), Is.True, "no key in the log");
        await Problem.AssertAsync(await _admin.GetAsync("/api/v1/audit?limit=0"), HttpStatusCode.BadRequest, "limit");
        await Problem.AssertAsync(await _admin.GetAsync("/api/v1/audit?outcome=maybe"), HttpStatusCode.BadRequest, "outcome");
        await Problem.AssertAsync(await stranger.GetAsync("/api/v1/audit"), HttpStatusCode.Unauthorized);
    }

    private static bool Entry(JsonElement e, string action, string target, string outcome) =>
        e.GetProperty("action").GetString() == action && e.GetProperty("target").GetString() == target && e.GetProperty("outcome").GetString() == outcome;
}
