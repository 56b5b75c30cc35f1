using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BareMetal.ImageStore.Nbd.Client;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// Commit and reset of a node's overlay through the API, with the node writing over real NBD (the
/// HTTP disk is read-only) to the server hosted in process.
/// </summary>
public sealed partial class NodeCommitTests
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private int _nbdPort;
    private byte[] _base = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { Nbd = new IPEndPoint(IPAddress.Loopback, 0) });
        _client = await _host.TokenClientAsync();
        _base = File.ReadAllBytes(_host.WriteRawImage("base.img"));
        using var r = await ApiHost.UploadAsync(_client, "?name=base", _base);
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        _nbdPort = _host.NbdPort;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>A registered node that streams "base": the keyed name of its export, from its boot script.</summary>
    private Task<string> StreamingNodeAsync(string mac) => _host.StreamingExportAsync(_client, mac, "base");

    private async Task<JsonElement> CommitAsync(string mac, string name, HttpStatusCode expected)
    {
        using var r = await _client.PostAsJsonAsync($"/api/v1/nodes/{mac}/commit", new { name });
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(expected), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<byte[]> DiskAsync(string export)
    {
        using var anon = _host.Anonymous();
        return await anon.GetByteArrayAsync($"/disk/{export}");
    }

    [Test]
    public async Task Commit_OfWhatANodeWrote_IsANewCatalogImageWithTheOverlayOverTheBase()
    {
        var export = await StreamingNodeAsync("52:54:00:cc:dd:01");
        Assert.That(export, Does.StartWith("base.v1@525400ccdd01~"));
        await using var node = await NbdClient.ConnectAsync("127.0.0.1", _nbdPort, export);
        var expected = (byte[])_base.Clone();
        var written = Enumerable.Range(0, 70_144).Select(i => unchecked((byte)(i * 13 + 1))).ToArray();
        // Sector-aligned (the client agrees to 512-byte blocks), across a cluster boundary and over the
        // base's data; no FLUSH: commit flushes.
        await node.WriteAsync(999_936, written);
        written.CopyTo(expected, 999_936);
        var hello = new byte[512];
        "hello"u8.CopyTo(hello.AsSpan(100));
        await node.WriteAsync(512, hello);
        hello.CopyTo(expected, 512);

        var image = await CommitAsync("52-54-00-CC-DD-01", "web-golden", HttpStatusCode.Created);
        Assert.Multiple(() =>
        {
            Assert.That(image.GetProperty("name").GetString(), Is.EqualTo("web-golden"));
            Assert.That(image.GetProperty("version").GetInt32(), Is.EqualTo(1));
            Assert.That(image.GetProperty("format").GetString(), Is.EqualTo("qcow2"));
            Assert.That(image.GetProperty("virtualSize").GetInt64(), Is.EqualTo(_base.Length));
            Assert.That(image.GetProperty("sha256").GetString(), Has.Length.EqualTo(64));
            Assert.That(image.GetProperty("backingChain").GetArrayLength(), Is.Zero, "standalone, not over the base");
            Assert.That(image.GetProperty("notes").GetString(), Is.EqualTo("committed from base.v1@525400ccdd01"));
        });
        Assert.That(await DiskAsync("web-golden.v1"), Is.EqualTo(expected));
        Assert.That(Directory.GetFiles(Path.Combine(_host.DataDirectory, "overlays"), ".commit-*"), Is.Empty, "the temporary copy is gone");

        // The node's writes were only held during the copy; a later one lands in the overlay, not the image.
        var ee = Enumerable.Repeat((byte)0xEE, 512).ToArray();
        await node.WriteAsync(0, ee);
        var back = new byte[512];
        await node.ReadAsync(0, back);
        Assert.That(back, Is.EqualTo(ee));
        Assert.That((await DiskAsync("web-golden.v1"))[0], Is.EqualTo((byte)'A'));

        // Committing to an existing name makes its next version (the catalog never refuses a name clash).
        var again = await CommitAsync("525400ccdd01", "web-golden", HttpStatusCode.Created);
        Assert.That(again.GetProperty("version").GetInt32(), Is.EqualTo(2));
        ee.CopyTo(expected, 0);
        Assert.That(await DiskAsync("web-golden.v2"), Is.EqualTo(expected));
    }

    [Test]
    public async Task ConsoleCommitButton_WithItsAntiforgeryToken_CommitsAndWithoutItIsRefused()
    {
        var export = await StreamingNodeAsync("52:54:00:cc:dd:05");
        await using (var node = await NbdClient.ConnectAsync("127.0.0.1", _nbdPort, export))
        {
            await node.WriteAsync(0, Enumerable.Repeat((byte)0x33, 512).ToArray());
        }
        using var browser = await _host.CookieClientAsync(withCsrf: false);
        using var page = await browser.GetAsync("/nodes");
        var html = await page.Content.ReadAsStringAsync();
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        var form = FormOf().Matches(html).Select(m => m.Value).Single(f => f.Contains("handler=Commit", StringComparison.Ordinal) && f.Contains("52:54:00:cc:dd:05", StringComparison.Ordinal));
        var token = TokenIn().Match(form).Groups[1].Value;
        Assert.That(token, Is.Not.Empty, form);
        var antiforgeryCookie = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal)).Split(';')[0];
        browser.DefaultRequestHeaders.Add("Cookie", antiforgeryCookie);

        using (var forged = new FormUrlEncodedContent(new Dictionary<string, string> { ["mac"] = "52:54:00:cc:dd:05", ["name"] = "forged" }))
        using (var refused = await browser.PostAsync("/nodes?handler=Commit", forged))
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "no antiforgery token, no commit");
        }
        using (var body = new FormUrlEncodedContent(new Dictionary<string, string> { ["mac"] = "52:54:00:cc:dd:05", ["name"] = "from-console", ["__RequestVerificationToken"] = token }))
        using (var done = await browser.PostAsync("/nodes?handler=Commit", body))
        {
            Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await done.Content.ReadAsStringAsync());
        }
        var committed = await DiskAsync("from-console");
        Assert.That(committed.AsSpan(0, 512).ToArray(), Is.All.EqualTo((byte)0x33));
        Assert.That((await _client.GetStringAsync("/api/v1/images")).Contains("\"forged\"", StringComparison.Ordinal), Is.False);
    }

    [GeneratedRegex("<form[^>]*>.*?</form>", RegexOptions.Singleline)]
    private static partial Regex FormOf();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenIn();

    [Test]
    public async Task Commit_BadInput_IsAProblem()
    {
        await StreamingNodeAsync("52:54:00:cc:dd:02");
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/nodes/52:54:00:99:99:90/commit", new { name = "x" }), HttpStatusCode.NotFound, "no node");
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/nodes/52:54:00:cc:dd:02/commit", new { name = "x" }), HttpStatusCode.NotFound, "no overlay");
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/nodes/52:54:00:cc:dd:02/commit", new { name = "../etc/x" }), HttpStatusCode.BadRequest, "name");
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/nodes/52:54:00:cc:dd:02/commit", new { name = "golden.v3" }), HttpStatusCode.BadRequest, "version");
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/nodes/52:54:00:cc:dd:02/commit", new { name = "" }), HttpStatusCode.BadRequest);
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/nodes/zz/commit", new { name = "x" }), HttpStatusCode.BadRequest);
        using var noName = new StringContent("{}", Encoding.UTF8, "application/json");
        await Problem.AssertAsync(await _client.PostAsync("/api/v1/nodes/52:54:00:cc:dd:02/commit", noName), HttpStatusCode.BadRequest);
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/nodes/52:54:00:cc:dd:02/commit", new { name = "x" }), HttpStatusCode.Unauthorized);
        Assert.That((await _client.GetStringAsync("/api/v1/images")).Contains("\"x\"", StringComparison.Ordinal), Is.False, "nothing was imported");
    }

    [Test]
    public async Task HttpDisk_ETag_IsStable_ChangesAfterAWrite_AndAStaleIfRangeGetsEverything()
    {
        var export = await StreamingNodeAsync("52:54:00:cc:dd:04");
        await using var node = await NbdClient.ConnectAsync("127.0.0.1", _nbdPort, export);
        using var anon = _host.Anonymous();
        async Task<string> HeadAsync()
        {
            using var head = await anon.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/disk/{export}"));
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            return head.Headers.ETag!.ToString();
        }
        var first = await HeadAsync();
        Assert.That(await HeadAsync(), Is.EqualTo(first), "nothing written, same validator");

        await node.WriteAsync(4096, new byte[512]);
        var changed = await HeadAsync();
        Assert.That(changed, Is.Not.EqualTo(first), "a write through the overlay changes the ETag");

        using var stale = new HttpRequestMessage(HttpMethod.Get, $"/disk/{export}");
        stale.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 511);
        stale.Headers.TryAddWithoutValidation("If-Range", first);
        using var whole = await anon.SendAsync(stale);
        Assert.That(whole.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a copy made before the write must be fetched again");
        Assert.That((await whole.Content.ReadAsByteArrayAsync()).Length, Is.EqualTo(_base.Length));

        using var fresh = new HttpRequestMessage(HttpMethod.Get, $"/disk/{export}");
        fresh.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 511);
        fresh.Headers.TryAddWithoutValidation("If-Range", changed);
        using var part = await anon.SendAsync(fresh);
        Assert.That(part.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
    }

    [Test]
    public async Task Reset_WithAConnectionOpen_ClosesIt_AndANewConnectionReadsTheBase()
    {
        var export = await StreamingNodeAsync("52:54:00:cc:dd:03");
        await using var before = await NbdClient.ConnectAsync("127.0.0.1", _nbdPort, export);
        await before.WriteAsync(0, new byte[512]);

        using (var r = await _client.PostAsync("/api/v1/nodes/52:54:00:cc:dd:03/reset", null))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), await r.Content.ReadAsStringAsync());
        }

        var e = Assert.ThrowsAsync<NbdClientException>(async () => await before.ReadAsync(0, new byte[512]));
        Assert.That(e!.Error, Is.EqualTo(NbdClientError.ConnectionLost), e.Message);
        await using var after = await NbdClient.ConnectAsync("127.0.0.1", _nbdPort, export);
        var head = new byte[512];
        await after.ReadAsync(0, head);
        Assert.That(head, Is.EqualTo(_base.AsSpan(0, 512).ToArray()));
    }
}
