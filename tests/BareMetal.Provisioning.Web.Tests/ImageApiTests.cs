using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Web.Tests;

[TestFixture(StoreBackend.Sqlite)]
[TestFixture(StoreBackend.Postgres)]
public sealed class ImageApiTests(StoreBackend backend)
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private byte[] _raw = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { MaxUploadBytes = 8 << 20 }, backend: backend);
        _client = await _host.TokenClientAsync();
        _raw = File.ReadAllBytes(_host.WriteRawImage("seed.img"));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(expected), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Test]
    public void Catalog_IsInTheBackendTheFixtureNames() =>
        Assert.That(File.Exists(Path.Combine(_host.DataDirectory, "baremetal.db")), Is.EqualTo(backend == StoreBackend.Sqlite),
            "a Postgres fixture that quietly fell back to SQLite would prove nothing");

    [Test]
    public async Task Upload_List_Get_Map_Patch_Delete()
    {
        var created = await JsonAsync(await ApiHost.UploadAsync(_client, "?name=alpha&osLabel=Alpine%203.20", _raw), HttpStatusCode.Created);
        Assert.That(created.GetProperty("name").GetString(), Is.EqualTo("alpha"));
        Assert.That(created.GetProperty("version").GetInt32(), Is.EqualTo(1));
        Assert.That(created.GetProperty("format").GetString(), Is.EqualTo("raw"));
        Assert.That(created.GetProperty("virtualSize").GetInt64(), Is.EqualTo(_raw.Length));
        Assert.That(created.GetProperty("osLabel").GetString(), Is.EqualTo("Alpine 3.20"));
        Assert.That(created.GetProperty("sha256").GetString(), Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(_raw))));

        var second = await JsonAsync(await ApiHost.UploadAsync(_client, "?name=alpha", _raw), HttpStatusCode.Created);
        Assert.That(second.GetProperty("version").GetInt32(), Is.EqualTo(2));

        var list = await JsonAsync(await _client.GetAsync("/api/v1/images"), HttpStatusCode.OK);
        Assert.That(list.EnumerateArray().Count(i => i.GetProperty("name").GetString() == "alpha"), Is.EqualTo(2));

        var latest = await JsonAsync(await _client.GetAsync("/api/v1/images/alpha"), HttpStatusCode.OK);
        Assert.That(latest.GetProperty("version").GetInt32(), Is.EqualTo(2));
        var first = await JsonAsync(await _client.GetAsync("/api/v1/images/alpha?version=1"), HttpStatusCode.OK);
        Assert.That(first.GetProperty("version").GetInt32(), Is.EqualTo(1));

        var map = await JsonAsync(await _client.GetAsync("/api/v1/images/alpha?version=1".Replace("?", "/map?", StringComparison.Ordinal) + "&buckets=8"), HttpStatusCode.OK);
        var buckets = map.GetProperty("buckets").EnumerateArray().ToList();
        Assert.That(buckets, Has.Count.EqualTo(8));
        Assert.That(buckets.Sum(b => b.GetProperty("length").GetInt64()), Is.EqualTo(_raw.Length));

        var patched = await JsonAsync(await _client.PatchAsJsonAsync("/api/v1/images/alpha?version=1", new { notes = "golden" }), HttpStatusCode.OK);
        Assert.That(patched.GetProperty("notes").GetString(), Is.EqualTo("golden"));

        // The block service exports it at once, by version and by name.
        using (var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/disk/alpha.v2")))
        {
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(head.Content.Headers.ContentLength, Is.EqualTo(_raw.Length));
        }

        using (var del = await _client.DeleteAsync("/api/v1/images/alpha"))
        {
            Assert.That(del.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        await Problem.AssertAsync(await _client.GetAsync("/api/v1/images/alpha"), HttpStatusCode.NotFound, "alpha");
        using (var gone = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/disk/alpha.v2")))
        {
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }

    [Test]
    public async Task Import_FromImportFolder_Works()
    {
        var path = Path.Combine(_host.DataDirectory, "import", "beta.img");
        File.Copy(_host.WriteRawImage("beta-src.img"), path);
        var created = await JsonAsync(await _client.PostAsJsonAsync("/api/v1/images", new { path, osLabel = "Beta" }), HttpStatusCode.Created);
        Assert.That(created.GetProperty("name").GetString(), Is.EqualTo("beta"));
        Assert.That(File.Exists(path), Is.True, "the source is left alone");
    }

    [TestCase("/etc/passwd", HttpStatusCode.BadRequest, "outside the import folders")]
    [TestCase("relative/disk.img", HttpStatusCode.BadRequest, "absolute path")]
    [TestCase("", HttpStatusCode.BadRequest, "absolute path")]
    public async Task Import_PathOutsideRoots_Is4xx(string path, HttpStatusCode status, string detail)
    {
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/images", new { path }), status, detail);
    }

    [Test]
    public async Task Import_DotDotOutOfImportFolder_Is400()
    {
        var path = Path.Combine(_host.DataDirectory, "import", "..", "..", "..", "etc", "hostname");
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/images", new { path }), HttpStatusCode.BadRequest, "outside");
    }

    [Test]
    public async Task Import_SymlinkInImportFolderPointingOutside_Is400()
    {
        var link = Path.Combine(_host.DataDirectory, "import", "sneaky.img");
        File.CreateSymbolicLink(link, "/etc/hostname");
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/images", new { path = link }), HttpStatusCode.BadRequest, "outside");
    }

    [Test]
    public async Task Import_MissingFile_Is404()
    {
        var path = Path.Combine(_host.DataDirectory, "import", "nothing.img");
        await Problem.AssertAsync(await _client.PostAsJsonAsync("/api/v1/images", new { path }), HttpStatusCode.NotFound, "no such file");
    }

    [TestCase("{}")]
    [TestCase("{\"path\": 7}")]
    [TestCase("{\"path\": [\"/x\"]}")]
    [TestCase("not json")]
    public async Task Import_BadBody_Is400(string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        await Problem.AssertAsync(await _client.PostAsync("/api/v1/images", content), HttpStatusCode.BadRequest);
    }

    [TestCase("?name=..%2F..%2Fetc")]
    [TestCase("?name=a%2Fb")]
    [TestCase("?name=x%40y")]
    [TestCase("?name=.hidden")]
    [TestCase("?name=%00")]
    public async Task Upload_PathTricksInName_Is400_AndLeavesNothing(string query)
    {
        var before = Directory.GetFiles(Path.Combine(_host.DataDirectory, "images"), "*", SearchOption.AllDirectories).Length;
        await Problem.AssertAsync(await ApiHost.UploadAsync(_client, query, _raw), HttpStatusCode.BadRequest);
        Assert.That(Directory.GetFiles(Path.Combine(_host.DataDirectory, "images"), "*", SearchOption.AllDirectories), Has.Length.EqualTo(before));
    }

    [Test]
    public async Task Upload_NoName_Is400() =>
        await Problem.AssertAsync(await ApiHost.UploadAsync(_client, "", _raw), HttpStatusCode.BadRequest, "name");

    [Test]
    public async Task Upload_NameInHeader_Works()
    {
        using var content = new ByteArrayContent(_raw);
        content.Headers.ContentType = new("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/images/upload") { Content = content };
        request.Headers.Add("X-Image-Name", "headed");
        request.Headers.Add("X-Image-Label", "From headers");
        var created = await JsonAsync(await _client.SendAsync(request), HttpStatusCode.Created);
        Assert.That(created.GetProperty("osLabel").GetString(), Is.EqualTo("From headers"));
    }

    [Test]
    public async Task Upload_WrongContentType_Is415() =>
        await Problem.AssertAsync(await ApiHost.UploadAsync(_client, "?name=typed", _raw, "multipart/form-data"), HttpStatusCode.UnsupportedMediaType, "octet-stream");

    [Test]
    public async Task Upload_DeclaredTooLarge_Is413()
    {
        await Problem.AssertAsync(await ApiHost.UploadAsync(_client, "?name=huge", new byte[(8 << 20) + 512]), HttpStatusCode.RequestEntityTooLarge, "at most");
        await Problem.AssertAsync(await _client.GetAsync("/api/v1/images/huge"), HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Upload_ChunkedTooLarge_Is413_AndLeavesNothing()
    {
        using var content = new StreamContent(new MemoryStream(new byte[(8 << 20) + 4096]));
        content.Headers.ContentType = new("application/octet-stream");
        content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/images/upload?name=chunky") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        await Problem.AssertAsync(await _client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        await Problem.AssertAsync(await _client.GetAsync("/api/v1/images/chunky"), HttpStatusCode.NotFound);
        Assert.That(Directory.GetFiles(Path.Combine(_host.DataDirectory, "images"), "chunky*", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public async Task Upload_CorruptQcow2_Is400WithFormatMessage()
    {
        var bytes = new byte[64 * 1024];
        new byte[] { 0x51, 0x46, 0x49, 0xFB }.CopyTo(bytes, 0); // "QFI\xfb", the qcow2 magic
        bytes[7] = 3; // version 3, then a header full of zeros: no valid cluster bits
        await Problem.AssertAsync(await ApiHost.UploadAsync(_client, "?name=corrupt", bytes), HttpStatusCode.BadRequest);
        await Problem.AssertAsync(await _client.GetAsync("/api/v1/images/corrupt"), HttpStatusCode.NotFound);
    }

    [TestCase("/api/v1/images/nope", HttpStatusCode.NotFound)]
    [TestCase("/api/v1/images/nope/map", HttpStatusCode.NotFound)]
    [TestCase("/api/v1/images/..%2F..%2Fetc", HttpStatusCode.BadRequest)]
    [TestCase("/api/v1/images/seed?version=abc", HttpStatusCode.BadRequest)]
    [TestCase("/api/v1/images/seed/map?buckets=0", HttpStatusCode.BadRequest)]
    [TestCase("/api/v1/images/seed/map?buckets=lots", HttpStatusCode.BadRequest)]
    [TestCase("/api/v1/images/seed/map?buckets=99999", HttpStatusCode.BadRequest)]
    public async Task Get_BadOrMissing_Is4xx(string url, HttpStatusCode status) =>
        await Problem.AssertAsync(await _client.GetAsync(url), status);

    [Test]
    public async Task Patch_WrongTypes_Is400()
    {
        await ApiHost.UploadAsync(_client, "?name=patchme", _raw);
        using var content = new StringContent("{\"osLabel\": 5}", Encoding.UTF8, "application/json");
        await Problem.AssertAsync(await _client.PatchAsync("/api/v1/images/patchme", content), HttpStatusCode.BadRequest);
        await Problem.AssertAsync(await _client.PatchAsJsonAsync("/api/v1/images/missing", new { notes = "x" }), HttpStatusCode.NotFound);
        await Problem.AssertAsync(await _client.PatchAsJsonAsync("/api/v1/images/patchme", new { notes = new string('n', 100_000) }), HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Delete_InUse_Is409_Missing_Is404()
    {
        await ApiHost.UploadAsync(_client, "?name=busy", _raw);
        (await _client.PostAsJsonAsync("/api/v1/nodes", new { mac = "52:54:00:00:00:09" })).Dispose();
        using (var assign = await _client.PutAsJsonAsync("/api/v1/nodes/52:54:00:00:00:09/assignment", new { image = "busy", mode = "stream" }))
        {
            Assert.That(assign.StatusCode, Is.EqualTo(HttpStatusCode.OK), await assign.Content.ReadAsStringAsync());
        }
        await Problem.AssertAsync(await _client.DeleteAsync("/api/v1/images/busy"), HttpStatusCode.Conflict, "52:54:00:00:00:09");
        await Problem.AssertAsync(await _client.DeleteAsync("/api/v1/images/never-was"), HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Images_NoAuth_Is401()
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.GetAsync("/api/v1/images"), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await ApiHost.UploadAsync(anon, "?name=anon", _raw), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await anon.DeleteAsync("/api/v1/images/seed"), HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Upload_CookieWithoutCsrf_Is403()
    {
        using var cookie = await _host.CookieClientAsync(withCsrf: false);
        await Problem.AssertAsync(await ApiHost.UploadAsync(cookie, "?name=csrf", _raw), HttpStatusCode.Forbidden, "CSRF");
    }
}
