using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// A streamed node's OS coming up: reported by the node (/boot/{mac}/os-up, POST or GET, and the reporter
/// script /boot/agent/os-up.sh) or seen by our DHCP (an OS's DHCP client, handed to the server as the DHCP
/// shell would). Bad input is a 4xx problem, never a change.
/// </summary>
public sealed class OsUpRouteTests
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { NodeReportsPerMinute = 10_000 });
        _client = await _host.TokenClientAsync();
        await _host.UploadTinyImageAsync(_client);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>A node assigned <paramref name="mode"/> that fetched its script: its deployment is in Bootloader (Done for local).</summary>
    private async Task BootedNodeAsync(string mac, string mode = "stream")
    {
        using (var added = await _client.PostAsJsonAsync("/api/v1/nodes", new { mac, architecture = "IntelX86Pc" }))
        {
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var assigned = await _client.PutAsJsonAsync($"/api/v1/nodes/{mac}/assignment", new { image = "tiny", mode }))
        {
            Assert.That(assigned.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using var anon = _host.Anonymous();
        _ = await anon.GetStringAsync($"/boot/{mac}.ipxe");
    }

    private async Task<JsonElement> CurrentAsync(string mac)
    {
        using var r = await _client.GetAsync($"/api/v1/deployments/{mac}");
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement[0].Clone();
    }

    private static string[] History(JsonElement deployment, string field) =>
        [.. deployment.GetProperty("history").EnumerateArray().Select(h => h.GetProperty(field).GetString()!)];

    [TestCase("POST")]
    [TestCase("GET")]
    public async Task Report_MovesAStreamingNodeToOsUp_AsANodeReport_AndARepeatWritesNothing(string method)
    {
        var mac = method == "POST" ? "52:54:00:05:00:01" : "52:54:00:05:00:02";
        await BootedNodeAsync(mac);
        using var anon = _host.Anonymous();
        using (var first = await anon.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/boot/{mac}/os-up")))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(first.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
            Assert.That(await first.Content.ReadAsStringAsync(), Does.StartWith($"node {mac} is os-up"));
        }
        var up = await CurrentAsync(mac);
        Assert.Multiple(() =>
        {
            Assert.That(History(up, "state"), Is.EqualTo(new[] { "bootloader", "os-up" }));
            Assert.That(History(up, "source"), Is.EqualTo(new[] { "boot-script", "node" }));
            Assert.That(History(up, "detail")[^1], Does.StartWith($"the OS reported itself up (/boot/{mac}/os-up"));
            Assert.That(up.GetProperty("mode").GetString(), Is.EqualTo("stream"));
        });

        // An init that reports on every start, or a retry: the same answer, nothing written.
        var again = await anon.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/boot/{mac.ToUpperInvariant().Replace(':', '-')}/os-up"));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await again.Content.ReadAsStringAsync(), Does.StartWith($"node {mac} was already os-up"));
        Assert.That(History(await CurrentAsync(mac), "state"), Is.EqualTo(new[] { "bootloader", "os-up" }));
    }

    private static readonly string[] BadMacs = ["zz:zz", "52:54:00:00:0e:zz", "..%2F..%2Fetc", "52:54:00:00:0e:01:02", "not-a-mac", "%20"];

    [Test]
    public async Task Report_BadMac_Is400_ByEitherMethod([ValueSource(nameof(BadMacs))] string mac, [Values("GET", "POST")] string method)
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/boot/{mac}/os-up")), HttpStatusCode.BadRequest, "MAC");
    }

    [Test]
    public async Task Report_UnknownNode_Is404_AndRegistersNothing()
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.PostAsync("/boot/52:54:00:05:99:99/os-up", null), HttpStatusCode.NotFound, "52:54:00:05:99:99");
        using var node = await _client.GetAsync("/api/v1/nodes/52:54:00:05:99:99");
        Assert.That(node.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a report never registers a node");
    }

    [Test]
    public async Task Report_WithNoDeployment_OrAfterItIsDone_Is409_AndChangesNothing()
    {
        const string idle = "52:54:00:05:00:03";
        using (var added = await _client.PostAsJsonAsync("/api/v1/nodes", new { mac = idle }))
        {
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.PostAsync($"/boot/{idle}/os-up", null), HttpStatusCode.Conflict, "no deployment");

        // Local mode: the script hands the node its own disk, which ends the deployment as done.
        const string local = "52:54:00:05:00:04";
        await BootedNodeAsync(local, "local");
        Assert.That(History(await CurrentAsync(local), "state"), Is.EqualTo(new[] { "bootloader", "done" }));
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{local}/os-up"), HttpStatusCode.Conflict, "Done");
        Assert.That(History(await CurrentAsync(local), "state"), Is.EqualTo(new[] { "bootloader", "done" }));
    }

    [Test]
    public async Task Report_OtherMethods_AreRefused()
    {
        using var anon = _host.Anonymous();
        using var put = await anon.PutAsync("/boot/52:54:00:05:00:01/os-up", null);
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }

    [Test]
    public async Task Report_BeyondTheRateLimit_Is429_PerClient()
    {
        await using var host = await ApiHost.StartAsync(o => o with { NodeReportsPerMinute = 3 });
        using var anon = host.Anonymous();
        for (var i = 0; i < 3; i++)
        {
            await Problem.AssertAsync(await anon.PostAsync("/boot/52:54:00:05:99:98/os-up", null), HttpStatusCode.NotFound);
        }
        await Problem.AssertAsync(await anon.PostAsync("/boot/52:54:00:05:99:98/os-up", null), HttpStatusCode.TooManyRequests, "wait a minute");
        // The limit is the report's alone: scripts and boot files are still served.
        Assert.That((await anon.GetAsync(OsUpAgent.ScriptPath)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Script_IsAPosixShellScript_ThatReportsToTheServerTheNodeReached()
    {
        using var anon = _host.Anonymous();
        using var r = await anon.GetAsync(OsUpAgent.ScriptPath);
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(r.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/x-shellscript"));
        var script = await r.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(script, Does.StartWith("#!/bin/sh\n"));
            Assert.That(script, Does.Contain("server='http://localhost'"), "the base URL the node used (TestServer's host)");
            Assert.That(script, Does.Contain("url=\"$server/boot/$mac/os-up\""));
            Assert.That(script, Does.Contain("/proc/net/route").And.Contain("curl -fsS -X POST").And.Contain("wget -q -O-"));
            Assert.That(script, Does.Not.Contain("\r"));
        });
    }

    [Test]
    public async Task Script_WithAPublicUrl_ReportsThere()
    {
        await using var host = await ApiHost.StartAsync(o => o with { PublicBaseUrl = "http://boot.lab:8080/" });
        using var anon = host.Anonymous();
        Assert.That(await anon.GetStringAsync(OsUpAgent.ScriptPath), Does.Contain("server='http://boot.lab:8080'"));
    }

    private static DhcpClientContact OsDhcp(string mac, string? vendor = "udhcp 1.35.0") =>
        new(mac, null, null, null, FirmwareKind.Other, vendor, DhcpMessageType.Discover, null);

    [Test]
    public async Task OsDhcp_OfAStreamNode_MovesItToOsUp_WithWhichClientAsked()
    {
        const string mac = "52:54:00:05:00:05";
        await BootedNodeAsync(mac);
        await _host.Server.OnDhcpContactAsync(OsDhcp(mac));
        var up = await CurrentAsync(mac);
        Assert.Multiple(() =>
        {
            Assert.That(History(up, "state"), Is.EqualTo(new[] { "bootloader", "os-up" }));
            Assert.That(History(up, "source"), Is.EqualTo(new[] { "boot-script", "dhcp" }));
            Assert.That(History(up, "detail")[^1], Is.EqualTo("the OS asked DHCP for an address (vendor class 'udhcp 1.35.0')"));
        });
        // The agent reporting afterwards is welcome and writes nothing.
        using var anon = _host.Anonymous();
        Assert.That(await anon.GetStringAsync($"/boot/{mac}/os-up"), Does.Contain("was already os-up"));
        Assert.That(History(await CurrentAsync(mac), "state"), Is.EqualTo(new[] { "bootloader", "os-up" }));
    }

    [Test]
    public async Task OsDhcp_OfADeployNodeInItsBootloader_OrAnUnknownMac_ChangesNothing()
    {
        const string mac = "52:54:00:05:00:06";
        await BootedNodeAsync(mac, "deploy");
        // Deploy mode in its bootloader: a deploy ramdisk asking DHCP is not the node's own OS.
        await _host.Server.OnDhcpContactAsync(OsDhcp(mac, vendor: null));
        Assert.That(History(await CurrentAsync(mac), "state"), Is.EqualTo(new[] { "bootloader" }));
        await _host.Server.OnDhcpContactAsync(OsDhcp("52:54:00:05:99:97"));
        using var unknown = await _client.GetAsync("/api/v1/nodes/52:54:00:05:99:97");
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "an OS's DHCP (a printer on the proxy's segment) registers no node");
    }
}
