using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Web.Tests;

[TestFixture(StoreBackend.Sqlite)]
[TestFixture(StoreBackend.Postgres)]
public sealed class NodeApiTests(StoreBackend backend)
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(backend: backend);
        _client = await _host.TokenClientAsync();
        await _host.UploadTinyImageAsync(_client);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Test]
    public async Task UnknownNode_FetchingItsScript_WaitsUnregistered_ThenStreamsOnceRegisteredAndAssigned_AndReportsProgress()
    {
        using var anon = _host.Anonymous();
        var script = await anon.GetStringAsync("/boot/52-54-00-AA-BB-01.ipxe");
        Assert.That(script, Does.StartWith("#!ipxe").And.Contain("52:54:00:aa:bb:01 is not assigned yet"));
        await Problem.AssertAsync(await _client.GetAsync("/api/v1/nodes/52:54:00:aa:bb:01"), HttpStatusCode.NotFound, "no node");

        // Boot firmware's DHCP registers a node; then its script fetches count.
        await _host.RegisterNodeAsync("52:54:00:aa:bb:01");
        script = await anon.GetStringAsync("/boot/52-54-00-AA-BB-01.ipxe");
        Assert.That(script, Does.Contain("52:54:00:aa:bb:01 is not assigned yet"));
        var node = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/nodes/52:54:00:aa:bb:01"), HttpStatusCode.OK);
        Assert.That(node.GetProperty("addedByHand").GetBoolean(), Is.False);
        Assert.That(node.GetProperty("state").GetString(), Is.EqualTo("bootloader"));

        var assigned = await ApiHost.JsonAsync(await _client.PutAsJsonAsync("/api/v1/nodes/525400aabb01/assignment", new { image = "tiny", mode = "stream" }), HttpStatusCode.OK);
        Assert.That(assigned.GetProperty("image").GetString(), Is.EqualTo("tiny"));
        Assert.That(assigned.GetProperty("mode").GetString(), Is.EqualTo("stream"));

        script = await anon.GetStringAsync("/boot/52:54:00:aa:bb:01.ipxe");
        Assert.That(script, Does.Contain("sanboot").And.Contain("/disk/tiny.v1@525400aabb01~"));
        var disk = "/disk/" + ApiHost.DiskExportIn(script);
        using (var keyless = await anon.GetAsync("/disk/tiny.v1@525400aabb01"))
        {
            Assert.That(keyless.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a node's disk needs its deployment's key");
        }

        // The node reads its disk over HTTP; the progress pump turns the counters into a Streaming deployment.
        using (var range = new HttpRequestMessage(HttpMethod.Get, disk))
        {
            range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 4095);
            using var read = await anon.SendAsync(range);
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(await read.Content.ReadAsByteArrayAsync(), Is.EqualTo(Enumerable.Repeat((byte)'A', 4096).ToArray()));
        }
        Assert.That(await _host.Server.PumpProgressAsync(), Is.EqualTo(1));
        var deployments = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/deployments/52:54:00:aa:bb:01"), HttpStatusCode.OK);
        var current = deployments[0];
        Assert.That(current.GetProperty("state").GetString(), Is.EqualTo("streaming"));
        Assert.That(current.GetProperty("progress").GetProperty("bytesStreamed").GetInt64(), Is.EqualTo(4096));
        Assert.That(current.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("state").GetString()), Is.EqualTo(new[] { "bootloader", "streaming" }));
        Assert.That(await _host.Server.PumpProgressAsync(), Is.EqualTo(0), "no new reads, no new event");

        // The node's OS reports in, unauthenticated.
        var reported = await ApiHost.JsonAsync(await anon.PostAsJsonAsync("/api/v1/nodes/52:54:00:aa:bb:01/events", new { @event = "os-up", detail = "login prompt" }), HttpStatusCode.Accepted);
        Assert.That(reported.GetProperty("state").GetString(), Is.EqualTo("os-up"));
        var all = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/deployments"), HttpStatusCode.OK);
        Assert.That(all.EnumerateArray().Any(d => d.GetProperty("mac").GetString() == "52:54:00:aa:bb:01" && d.GetProperty("state").GetString() == "os-up"));

        // Reset throws the overlay away.
        var reset = await ApiHost.JsonAsync(await _client.PostAsync("/api/v1/nodes/52:54:00:aa:bb:01/reset", null), HttpStatusCode.OK);
        Assert.That(reset.GetProperty("overlaysRemoved").GetInt32(), Is.EqualTo(1));
        Assert.That(Directory.GetFiles(Path.Combine(_host.DataDirectory, "overlays"), "*525400aabb01*"), Is.Empty);

        var unassigned = await ApiHost.JsonAsync(await _client.DeleteAsync("/api/v1/nodes/52:54:00:aa:bb:01/assignment"), HttpStatusCode.OK);
        Assert.That(unassigned.GetProperty("mode").GetString(), Is.EqualTo("none"));
    }

    [Test]
    public async Task AddByHand_List_Delete()
    {
        var added = await ApiHost.JsonAsync(await _client.PostAsJsonAsync("/api/v1/nodes", new { mac = "52-54-00-00-00-AA", hostname = "rack1-n1", architecture = "EfiX64" }), HttpStatusCode.Created);
        Assert.That(added.GetProperty("mac").GetString(), Is.EqualTo("52:54:00:00:00:aa"));
        Assert.That(added.GetProperty("addedByHand").GetBoolean(), Is.True);
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/nodes", new { mac = "52:54:00:00:00:aa" }), HttpStatusCode.Conflict);
        var list = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/nodes"), HttpStatusCode.OK);
        Assert.That(list.EnumerateArray().Any(n => n.GetProperty("hostname").GetString() == "rack1-n1"));
        using (var del = await _client.DeleteAsync("/api/v1/nodes/52:54:00:00:00:aa"))
        {
            Assert.That(del.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        await Problem.AssertAsync(await _client.DeleteAsync("/api/v1/nodes/52:54:00:00:00:aa"), HttpStatusCode.NotFound);
    }

    [TestCase("{\"mac\": \"not-a-mac\"}", "MAC")]
    [TestCase("{\"mac\": 525400000000}", "")]
    [TestCase("{}", "mac")]
    [TestCase("{\"mac\": \"52:54:00:00:00:ab\", \"architecture\": \"Z80\"}", "architecture")]
    [TestCase("{\"mac\": \"52:54:00:00:00:ac\", \"architecture\": \"7\"}", "architecture")]
    [TestCase("{\"mac\": \"52:54:00:00:00:ad\", \"hostname\": \"bad host/name\"}", "")]
    public async Task Add_BadInput_Is400(string json, string mentions)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        await Problem.AssertAsync(await _client.PostAsync("/api/v1/nodes", content), HttpStatusCode.BadRequest, mentions);
    }

    [TestCase("/api/v1/nodes/zz:zz", HttpStatusCode.BadRequest)]
    [TestCase("/api/v1/nodes/52:54:00:99:99:99", HttpStatusCode.NotFound)]
    [TestCase("/api/v1/deployments/52:54:00:99:99:99", HttpStatusCode.NotFound)]
    [TestCase("/api/v1/deployments/..%2Fetc", HttpStatusCode.BadRequest)]
    [TestCase("/api/v1/deployments/52:54:00:99:99:99?limit=0", HttpStatusCode.BadRequest)]
    [TestCase("/api/v1/deployments/52:54:00:99:99:99?limit=x", HttpStatusCode.BadRequest)]
    public async Task Get_BadOrMissing_Is4xx(string url, HttpStatusCode status) =>
        await Problem.AssertAsync(await _client.GetAsync(url), status);

    [Test]
    public async Task Assign_BadInput_Is4xx()
    {
        (await _client.PostAsJsonAsync("/api/v1/nodes", new { mac = "52:54:00:00:00:b0" })).Dispose();
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:00:00:b0/assignment", new { image = "no-such-image", mode = "stream" }), HttpStatusCode.NotFound, "no-such-image");
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:00:00:b0/assignment", new { image = "tiny", mode = "warp" }), HttpStatusCode.BadRequest, "mode");
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:00:00:b0/assignment", new { mode = "stream" }), HttpStatusCode.BadRequest);
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:00:00:b0/assignment", new { image = "tiny", version = "two" }), HttpStatusCode.BadRequest);
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:99:99:98/assignment", new { image = "tiny" }), HttpStatusCode.NotFound);
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:00:00:b0/assignment", new { image = "../../etc/passwd" }), HttpStatusCode.BadRequest);
        await Problem.AssertAsync(await _client.PostAsync("/api/v1/nodes/52:54:00:99:99:98/reset", null), HttpStatusCode.NotFound);
    }

    [Test]
    public async Task NodeEvents_BadInput_Is4xx_AndNeverNeedsAuth()
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/nodes/52:54:00:99:99:97/events", new { @event = "os-up" }), HttpStatusCode.NotFound, "no node");
        await _host.RegisterNodeAsync("52:54:00:00:00:c0");
        await anon.GetStringAsync("/boot/52:54:00:00:00:c0.ipxe");
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/nodes/52:54:00:00:00:c0/events", new { @event = "exploded" }), HttpStatusCode.BadRequest, "event");
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/nodes/52:54:00:00:00:c0/events", new { @event = "copying", copyPercent = 250 }), HttpStatusCode.BadRequest, "copyPercent");
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/nodes/not-a-mac/events", new { @event = "done" }), HttpStatusCode.BadRequest);
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/nodes/52:54:00:00:00:c0/events", new { detail = "no event" }), HttpStatusCode.BadRequest);
        // Copying -> streaming goes backwards: the state machine refuses it. (Bootloader -> copying is
        // allowed: a BIOS deploy copies straight from its boot script.)
        using (var copying = await anon.PostAsJsonAsync("/api/v1/nodes/52:54:00:00:00:c0/events", new { @event = "copying" }))
        {
            Assert.That(copying.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/nodes/52:54:00:00:00:c0/events", new { @event = "streaming" }), HttpStatusCode.Conflict);
    }

    [Test]
    public async Task NodeAssignedLocal_FetchingItsScript_GetsItsLocalDisk_AndItsDeploymentIsDone()
    {
        using var anon = _host.Anonymous();
        await _host.RegisterNodeAsync("52:54:00:aa:bb:03");
        await anon.GetStringAsync("/boot/52:54:00:aa:bb:03.ipxe");
        await ApiHost.JsonAsync(await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:aa:bb:03/assignment", new { image = "tiny", mode = "local" }), HttpStatusCode.OK);

        var script = await anon.GetStringAsync("/boot/52:54:00:aa:bb:03.ipxe");
        Assert.That(script, Does.Contain("sanboot --no-describe --drive 0x80"));
        var deployments = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/deployments/52:54:00:aa:bb:03"), HttpStatusCode.OK);
        var current = deployments[0];
        Assert.Multiple(() =>
        {
            Assert.That(current.GetProperty("state").GetString(), Is.EqualTo("done"));
            Assert.That(current.GetProperty("mode").GetString(), Is.EqualTo("local"));
            Assert.That(current.GetProperty("endedAt").ValueKind, Is.EqualTo(JsonValueKind.String));
            Assert.That(current.GetProperty("history").EnumerateArray().Select(h => (h.GetProperty("state").GetString(), h.GetProperty("source").GetString(), h.GetProperty("detail").GetString())),
                Is.EqualTo(new[] { ("bootloader", "boot-script", "boot script"), ("done", "boot-script", "boots its local disk") }));
        });

        // Its next boot is a new deployment that ends the same way.
        await anon.GetStringAsync("/boot/52:54:00:aa:bb:03.ipxe");
        deployments = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/deployments/52:54:00:aa:bb:03"), HttpStatusCode.OK);
        Assert.That(deployments.EnumerateArray().Select(d => d.GetProperty("state").GetString()), Is.EqualTo(new[] { "done", "done" }));
    }

    [Test]
    public async Task StreamProtocolIscsi_WithTheTargetOff_MakesTheNodeWaitAndSayWhy()
    {
        using var anon = _host.Anonymous();
        await _host.RegisterNodeAsync("52:54:00:aa:bb:04");
        await anon.GetStringAsync("/boot/52:54:00:aa:bb:04.ipxe");
        await ApiHost.JsonAsync(await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:aa:bb:04/assignment", new { image = "tiny", mode = "stream" }), HttpStatusCode.OK);
        await ApiHost.JsonAsync(await _client.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["boot.stream.protocol"] = "iscsi" }), HttpStatusCode.OK);
        try
        {
            var script = await anon.GetStringAsync("/boot/52:54:00:aa:bb:04.ipxe");
            Assert.That(script, Does.Contain("boot.stream.protocol is iscsi but the iSCSI target is off").And.Not.Contain("sanboot"));
            await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["boot.stream.protocol"] = "nfs" }), HttpStatusCode.BadRequest, "boot.stream.protocol");
        }
        finally
        {
            await ApiHost.JsonAsync(await _client.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["boot.stream.protocol"] = "http" }), HttpStatusCode.OK);
        }
        Assert.That(await anon.GetStringAsync("/boot/52:54:00:aa:bb:04.ipxe"), Does.Contain("sanboot --no-describe http://"));
    }

    [Test]
    public async Task StreamProtocolIscsi_SendsTheNodeToOurTarget_AtTheHostItUsedForHttp()
    {
        await using var host = await ApiHost.StartAsync(o => o with { Iscsi = new IPEndPoint(IPAddress.Any, 0) }, testServer: false, backend: backend);
        using var client = await host.TokenClientAsync();
        using (var r = await ApiHost.UploadAsync(client, "?name=tiny", File.ReadAllBytes(host.WriteRawImage("tiny.img"))))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        await ApiHost.JsonAsync(await client.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["boot.stream.protocol"] = "iscsi" }), HttpStatusCode.OK);
        using var anon = host.Anonymous();
        await host.RegisterNodeAsync("52:54:00:aa:bb:05");
        await anon.GetStringAsync("/boot/52:54:00:aa:bb:05.ipxe");
        await ApiHost.JsonAsync(await client.PutAsJsonAsync("/api/v1/nodes/52:54:00:aa:bb:05/assignment", new { image = "tiny", mode = "stream" }), HttpStatusCode.OK);
        var script = await anon.GetStringAsync("/boot/52:54:00:aa:bb:05.ipxe");
        var port = host.Server.Endpoints.Single(e => e.StartsWith("iscsi", StringComparison.Ordinal)).Split(':')[2].Split('/')[0];
        Assert.That(port, Is.Not.EqualTo("0"));
        Assert.That(script, Does.Contain($"sanboot --no-describe iscsi:127.0.0.1::{port}:0:iqn.2026-11.dev.baremetal:tiny.v1:525400aabb05\n"));
        // The node logs in with its deployment's CHAP secret, and checks the target's (mutual CHAP).
        Assert.That(script, Does.Match("set username 525400aabb05\nset password [a-z2-7]{16}\nset reverse-username 525400aabb05\nset reverse-password [a-z2-7]{16}\n"));
    }

    [Test]
    public async Task BootScript_BadNames_Are404()
    {
        using var anon = _host.Anonymous();
        foreach (var url in new[] { "/boot/..%2f..%2fetc%2fpasswd", "/boot/52:54:00:00:00:00", "/boot/zz.ipxe" })
        {
            using var r = await anon.GetAsync(url);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), url);
        }
    }

    [Test]
    public async Task BootFile_FromTheTftpRoot_IsServedOverHttp_ToGetAndHead()
    {
        // UEFI HTTP boot: DHCP hands out http://server/boot/ipxe.efi, and EDK2 asks with HEAD for the size first.
        var bytes = Enumerable.Range(0, 200_000).Select(i => unchecked((byte)(i * 7))).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(_host.DataDirectory, "tftp", "custom.efi"), bytes);
        using var anon = _host.Anonymous();
        using (var head = await anon.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/boot/custom.efi")))
        {
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(head.Content.Headers.ContentLength, Is.EqualTo(bytes.Length));
        }
        using var get = await anon.GetAsync("/boot/custom.efi");
        Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(get.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/octet-stream"));
        Assert.That(await get.Content.ReadAsByteArrayAsync(), Is.EqualTo(bytes));
        using var script = await anon.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/boot/52:54:00:00:00:c1.ipxe"));
        Assert.That(script.StatusCode, Is.EqualTo(HttpStatusCode.OK), "HEAD of a script");
    }

    [Test]
    public async Task BootFile_OutsideTheRoot_IsRefused()
    {
        using var anon = _host.Anonymous();
        Directory.CreateDirectory(Path.Combine(_host.DataDirectory, "tftp", "sub"));
        File.CreateSymbolicLink(Path.Combine(_host.DataDirectory, "tftp", "passwd.efi"), "/etc/passwd");
        foreach (var url in new[] { "/boot/..%2f..%2fetc%2fpasswd", "/boot/passwd.efi", "/boot/%2fetc%2fpasswd", "/boot/sub%5c..%5c..%5cx" })
        {
            using var r = await anon.GetAsync(url);
            Assert.That(r.StatusCode, Is.AnyOf(HttpStatusCode.NotFound, HttpStatusCode.BadRequest), url);
            Assert.That(await r.Content.ReadAsStringAsync(), Does.Not.Contain("root:"), url);
        }
    }

    [Test]
    public async Task Nodes_NoAuth_Is401()
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.GetAsync("/api/v1/nodes"), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/nodes", new { mac = "52:54:00:00:00:d0" }), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await anon.GetAsync("/api/v1/deployments"), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await anon.GetAsync("/api/v1/events"), HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Settings_GetPut_AndBadInput()
    {
        var put = await ApiHost.JsonAsync(await _client.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["dhcp.mode"] = "proxy", ["boot.file.bios"] = "undionly.kpxe" }), HttpStatusCode.OK);
        Assert.That(put.GetProperty("dhcp.mode").GetString(), Is.EqualTo("proxy"));
        var get = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/settings"), HttpStatusCode.OK);
        Assert.That(get.GetProperty("boot.file.bios").GetString(), Is.EqualTo("undionly.kpxe"));
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["dhcp.mode"] = "sometimes" }), HttpStatusCode.BadRequest, "dhcp.mode");
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["boot.file.bios"] = "../../etc/shadow" }), HttpStatusCode.BadRequest);
        await Problem.AssertAsync(await _client.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["Bad Key"] = "x" }), HttpStatusCode.BadRequest, "key");
        using var wrong = new StringContent("{\"dhcp.mode\": 5}", Encoding.UTF8, "application/json");
        await Problem.AssertAsync(await _client.PutAsync("/api/v1/settings", wrong), HttpStatusCode.BadRequest);
        var after = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/settings"), HttpStatusCode.OK);
        Assert.That(after.GetProperty("dhcp.mode").GetString(), Is.EqualTo("proxy"), "a refused PUT changes nothing");
    }
}
