using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The console's own Razor handlers (upload, the node forms, the settings form) given bad input in
/// process: a refusal is a 4xx whose page (or problem, for the script-driven upload) says what was
/// wrong in words the user reads, never a 500; a form without its antiforgery token is a 400 and
/// changes nothing.
/// </summary>
public sealed class ConsoleFormTests
{
    private const long MaxUpload = 4 << 20;
    private const string Known = "52:54:00:00:0f:01";
    private ApiHost _host = null!;
    private HttpClient _api = null!;
    private ConsoleSession _console = null!;
    private byte[] _raw = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { MaxUploadBytes = MaxUpload });
        _api = await _host.TokenClientAsync();
        _raw = File.ReadAllBytes(_host.WriteRawImage("kept.img"));
        using (var r = await ApiHost.UploadAsync(_api, "?name=kept", _raw))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var r = await _api.PostAsJsonAsync("/api/v1/nodes", new { mac = Known }))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var r = await _api.PutAsJsonAsync($"/api/v1/nodes/{Known}/assignment", new { image = "kept", mode = "stream" }))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using (var r = await _api.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { ["dhcp.mode"] = "proxy", ["boot.file.bios"] = "undionly.kpxe" }))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        _console = await ConsoleSession.SignInAsync(_host);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _console.Dispose();
        _api.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>A refused form changed nothing: the node, the image versions and the settings are as set up.</summary>
    [TearDown]
    public async Task NothingChanged()
    {
        using var node = JsonDocument.Parse(await _api.GetStringAsync($"/api/v1/nodes/{Known}"));
        Assert.That(node.RootElement.GetProperty("image").GetString(), Is.EqualTo("kept"), "the node keeps its assignment");
        Assert.That(node.RootElement.GetProperty("mode").GetString(), Is.EqualTo("stream"));
        using var images = JsonDocument.Parse(await _api.GetStringAsync("/api/v1/images"));
        Assert.That(images.RootElement.EnumerateArray().Select(i => $"{i.GetProperty("name").GetString()} v{i.GetProperty("version").GetInt32()}"), Is.EqualTo(new[] { "kept v1" }));
        using var settings = JsonDocument.Parse(await _api.GetStringAsync("/api/v1/settings"));
        Assert.That(settings.RootElement.GetProperty("dhcp.mode").GetString(), Is.EqualTo("proxy"));
        Assert.That(settings.RootElement.GetProperty("boot.file.bios").GetString(), Is.EqualTo("undionly.kpxe"));
    }

    private static async Task<string> ProblemTitleAndDetailAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        using var doc = JsonDocument.Parse(text);
        Assert.That(doc.RootElement.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
        // console.js shows "title: detail" under the form: that line is what the user reads.
        return $"{doc.RootElement.GetProperty("title").GetString()}: {doc.RootElement.GetProperty("detail").GetString()}";
    }

    private async Task<(HttpStatusCode Status, string Html)> PostAsync(string page, Dictionary<string, string> fields, bool withToken = true)
    {
        await _console.GetPageAsync(page.Split('?')[0]);
        using var response = await _console.PostFormAsync(page, fields, withToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Upload_DeclaredTooLarge_Is413_SayingTheLimit()
    {
        await _console.GetPageAsync("/images");
        using var response = await _console.UploadAsync("?name=huge", new ByteArrayContent(new byte[MaxUpload + 512]));
        Assert.That(await ProblemTitleAndDetailAsync(response, HttpStatusCode.RequestEntityTooLarge),
            Is.EqualTo($"Upload too large: the file has {MaxUpload + 512} bytes; this server takes at most {MaxUpload}"));
    }

    [Test]
    public async Task Upload_ChunkedTooLarge_Is413_NotA500()
    {
        await _console.GetPageAsync("/images");
        var content = new StreamContent(new MemoryStream(new byte[MaxUpload + 65536]));
        using var response = await _console.UploadAsync("?name=chunky", content, chunked: true);
        Assert.That(await ProblemTitleAndDetailAsync(response, HttpStatusCode.RequestEntityTooLarge),
            Is.EqualTo($"Upload too large: the upload passed {MaxUpload} bytes, the most this server accepts"));
        Assert.That(Directory.GetFiles(Path.Combine(_host.DataDirectory, "images"), "chunky*", SearchOption.AllDirectories), Is.Empty);
    }

    [TestCase("?name=..%2F..%2Fetc", "name")]
    [TestCase("", "name")]
    public async Task Upload_BadName_Is400_SayingWhy(string query, string mentions)
    {
        await _console.GetPageAsync("/images");
        using var response = await _console.UploadAsync(query, new ByteArrayContent(_raw));
        Assert.That(await ProblemTitleAndDetailAsync(response, HttpStatusCode.BadRequest), Does.StartWith("Upload refused:").And.Contain(mentions));
    }

    [Test]
    public async Task Upload_WithoutAntiforgeryToken_Is400_AndImportsNothing()
    {
        await _console.GetPageAsync("/images");
        using var response = await _console.UploadAsync("?name=forged", new ByteArrayContent(_raw), withToken: false);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Upload_WithTheToken_Works()
    {
        // The control for the refusals above: the same request with the token is accepted (then removed, for NothingChanged).
        await _console.GetPageAsync("/images");
        using (var response = await _console.UploadAsync("?name=control", new ByteArrayContent(_raw)))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        }
        using var delete = await _api.DeleteAsync("/api/v1/images/control");
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [TestCase("/nodes?handler=Add", "mac=52:54:00:00:0f:02")]
    [TestCase("/nodes?handler=Assign", "mac=" + Known, "image=", "mode=None")]
    [TestCase("/nodes?handler=Reset", "mac=" + Known)]
    [TestCase("/nodes?handler=Delete", "mac=" + Known)]
    [TestCase("/settings?handler=Boot", "dhcpMode=off")]
    [TestCase("/settings?handler=CreateToken", "name=forged")]
    [TestCase("/images?handler=Import", "path=/etc/hostname", "name=forged")]
    [TestCase("/logout")]
    public async Task Form_WithoutAntiforgeryToken_Is400(string page, params string[] fields)
    {
        var (status, html) = await PostAsync(page, fields.Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]), withToken: false);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), html);
        using var tokens = JsonDocument.Parse(await _api.GetStringAsync("/api/v1/tokens"));
        Assert.That(tokens.RootElement.EnumerateArray().Select(t => t.GetProperty("name").GetString()), Does.Not.Contain("forged"));
        Assert.That(await _console.GetPageAsync("/"), Does.Contain("Log out"), "still signed in");
    }

    [Test]
    public async Task Form_WithTheToken_IsAccepted()
    {
        // The control: the token the page carries is the one the handler checks.
        var (status, html) = await PostAsync("/nodes?handler=Assign", new() { ["mac"] = Known, ["image"] = "kept", ["mode"] = "Stream" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Redirect), html);
    }

    [TestCase("Assign", "zz:zz")]
    [TestCase("Assign", "52:54:00:00:0f:zz")]
    [TestCase("Reset", "../../etc")]
    [TestCase("Delete", "52:54:00:00:0f")]
    [TestCase("Add", "not-a-mac")]
    [TestCase("Add", "")]
    public async Task NodeForm_BadMac_Is400_ShowingTheError(string handler, string mac)
    {
        var (status, html) = await PostAsync($"/nodes?handler={handler}", new() { ["mac"] = mac, ["image"] = "kept", ["mode"] = "Stream" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), html);
        Assert.That(ConsoleSession.ErrorText(html), Is.EqualTo($"'{mac}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)"));
    }

    [Test]
    public async Task AddNode_BadMac_KeepsWhatWasTyped()
    {
        var (_, html) = await PostAsync("/nodes?handler=Add", new() { ["mac"] = "52-54-oops", ["hostname"] = "rack2-n7" });
        Assert.That(html, Does.Contain("value=\"52-54-oops\"").And.Contain("value=\"rack2-n7\""));
    }

    [Test]
    public async Task Assign_UnknownImage_Is404_NamingIt()
    {
        var (status, html) = await PostAsync("/nodes?handler=Assign", new() { ["mac"] = Known, ["image"] = "no-such-image", ["mode"] = "Stream" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound), html);
        Assert.That(ConsoleSession.ErrorText(html), Does.Contain("no-such-image"));
    }

    [Test]
    public async Task Assign_ImageNameWithPathTricks_Is400()
    {
        var (status, html) = await PostAsync("/nodes?handler=Assign", new() { ["mac"] = Known, ["image"] = "../../etc/passwd", ["mode"] = "Stream" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), html);
        Assert.That(ConsoleSession.ErrorText(html), Is.EqualTo("an image name may hold only letters, digits, '.', '_' and '-' (not '/')"));
    }

    [TestCase("warp")]
    [TestCase("")]
    [TestCase("99")]
    public async Task Assign_BadMode_Is400_ListingTheModes(string mode)
    {
        var (status, html) = await PostAsync("/nodes?handler=Assign", new() { ["mac"] = Known, ["image"] = "kept", ["mode"] = mode });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), html);
        Assert.That(ConsoleSession.ErrorText(html), Is.EqualTo("choose a mode: none, stream, deploy, local or devirt"));
    }

    [Test]
    public async Task Assign_UnknownNode_Is404()
    {
        var (status, html) = await PostAsync("/nodes?handler=Assign", new() { ["mac"] = "52:54:00:00:0f:99", ["image"] = "kept", ["mode"] = "Stream" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound), html);
        Assert.That(ConsoleSession.ErrorText(html), Does.Contain("52:54:00:00:0f:99"));
    }

    [TestCase("dhcpMode", "sometimes", "dhcp.mode is off, proxy or full")]
    [TestCase("dhcpRange", "10.0.0.9-banana", "dhcp.range '10.0.0.9-banana': expected FIRST-LAST IPv4 addresses, e.g. 10.0.0.100-10.0.0.199")]
    [TestCase("dhcpRange", "10.0.0.9-10.0.0.1", "dhcp.range '10.0.0.9-10.0.0.1': expected FIRST-LAST IPv4 addresses, e.g. 10.0.0.100-10.0.0.199")]
    [TestCase("dhcpInterface", "eth0/../lo", "dhcp.interface 'eth0/../lo' is not a network interface name")]
    [TestCase("dhcpRouter", "banana", "dhcp.router 'banana': expected one IPv4 address, or none")]
    [TestCase("dhcpRouter", "10.0.0.1,10.0.0.2", "dhcp.router '10.0.0.1,10.0.0.2': expected one IPv4 address, or none")]
    [TestCase("dhcpDns", "10.0.0.53, 10", "dhcp.dns '10.0.0.53, 10': expected IPv4 addresses separated by commas, or none")]
    [TestCase("dhcpDomain", "lab example", "dhcp.domain 'lab example': expected a domain name such as lab.example, or none")]
    [TestCase("dhcpNtp", "256.1.1.1", "dhcp.ntp '256.1.1.1': expected IPv4 addresses separated by commas, or none")]
    [TestCase("bootBios", "../../etc/shadow", "boot.file.bios is a file name under the TFTP root (no '..', no leading '/')")]
    [TestCase("bootX64", "/boot/vmlinuz", "boot.file.x64 is a file name under the TFTP root (no '..', no leading '/')")]
    public async Task Settings_BadValue_Is400_ShowingTheError_AndSavesNothing(string field, string value, string error)
    {
        // Every other field valid and different from what is stored, so a partial save would show in NothingChanged.
        var fields = new Dictionary<string, string> { ["dhcpMode"] = "full", ["bootBios"] = "other.kpxe", [field] = value };
        var (status, html) = await PostAsync("/settings?handler=Boot", fields);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), html);
        Assert.That(ConsoleSession.ErrorText(html), Is.EqualTo(error));
    }

    [Test]
    public async Task Settings_ValueWithControlCharacters_Is400()
    {
        var (status, html) = await PostAsync("/settings?handler=Boot", new() { ["dhcpMode"] = "proxy", ["bootBios"] = "undionly.kpxe", ["bootArm64"] = "a\u0001b" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), html);
        Assert.That(ConsoleSession.ErrorText(html), Does.Contain("control characters"));
    }

    [TestCase("", "a token needs a name")]
    [TestCase("bad\u0001name", "token name")]
    public async Task CreateToken_BadName_Is400_ShowingTheError(string name, string mentions)
    {
        var (status, html) = await PostAsync("/settings?handler=CreateToken", new() { ["name"] = name });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), html);
        Assert.That(ConsoleSession.ErrorText(html), Does.Contain(mentions));
    }

    [TestCase("abc")]
    [TestCase("99999999999999999999")]
    public async Task RevokeToken_NotANumber_IsNotA500(string id)
    {
        var (status, html) = await PostAsync("/settings?handler=Revoke", new() { ["id"] = id });
        Assert.That((int)status, Is.LessThan(500), html);
    }
}
