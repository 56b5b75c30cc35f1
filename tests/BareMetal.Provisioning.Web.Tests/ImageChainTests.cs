using System.Net;
using System.Text.Json;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>A qcow2 delta on a catalog image, through the API, the block service and the console.</summary>
[TestFixture(StoreBackend.Sqlite)]
[TestFixture(StoreBackend.Postgres)]
public sealed class ImageChainTests(StoreBackend backend)
{
    private const int Size = 2 << 20;
    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private ConsoleSession _console = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { MaxUploadBytes = 8 << 20 }, backend: backend);
        _client = await _host.TokenClientAsync();
        _console = await ConsoleSession.SignInAsync(_host);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _console.Dispose();
        _client.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>Uploads a qcow2 base (first 1 MiB 0x11) as <paramref name="name"/>, then a delta on it (64 KiB of 0x22 at 64 KiB).</summary>
    private async Task<JsonElement> UploadPairAsync(string name)
    {
        var dir = Path.Combine(_host.DataDirectory, "src-" + name);
        Directory.CreateDirectory(dir);
        var basePath = Path.Combine(dir, $"{name}.v1.qcow2");
        using (var disk = Qcow2Writer.Create(basePath, Size))
        {
            disk.Write(0, Fill(1 << 20, 0x11));
        }
        await ApiHost.JsonAsync(await ApiHost.UploadAsync(_client, $"?name={name}", File.ReadAllBytes(basePath)), HttpStatusCode.Created);
        // The writer opens its backing file, so the delta is made next to a copy named as in the catalog.
        var deltaPath = Path.Combine(dir, "delta.qcow2");
        using (var disk = Qcow2Writer.Create(deltaPath, Size, backingFile: $"{name}.v1.qcow2", backingFormat: ImageFormat.Qcow2))
        {
            disk.Write(64 << 10, Fill(64 << 10, 0x22));
        }
        return await ApiHost.JsonAsync(await ApiHost.UploadAsync(_client, $"?name={name}-delta", File.ReadAllBytes(deltaPath)), HttpStatusCode.Created);
    }

    private static byte[] Fill(int length, byte value)
    {
        var b = new byte[length];
        b.AsSpan().Fill(value);
        return b;
    }

    [Test]
    public async Task Api_ShowsBackingChain_AndRefusesDeletingTheBaseWith409()
    {
        var created = await UploadPairAsync("apibase");
        Assert.That(created.GetProperty("backingChain").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "images/apibase.v1.qcow2" }));
        var got = await ApiHost.JsonAsync(await _client.GetAsync("/api/v1/images/apibase-delta"), HttpStatusCode.OK);
        Assert.That(got.GetProperty("backingChain").GetArrayLength(), Is.EqualTo(1));

        await Problem.AssertAsync(await _client.DeleteAsync("/api/v1/images/apibase?version=1"), HttpStatusCode.Conflict, "backing file of 1 image(s): apibase-delta.v1");
        using (var del = await _client.DeleteAsync("/api/v1/images/apibase-delta"))
        {
            Assert.That(del.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        using (var del = await _client.DeleteAsync("/api/v1/images/apibase"))
        {
            Assert.That(del.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
    }

    [Test]
    public async Task Api_BackingOutsideTheCatalog_Is400NamingIt()
    {
        var dir = Path.Combine(_host.DataDirectory, "src-outside");
        Directory.CreateDirectory(dir);
        var basePath = Path.Combine(dir, "base.qcow2");
        Qcow2Writer.Create(basePath, Size).Dispose();
        var deltaPath = Path.Combine(dir, "delta.qcow2");
        Qcow2Writer.Create(deltaPath, Size, backingFile: basePath, backingFormat: ImageFormat.Qcow2).Dispose();
        await Problem.AssertAsync(await ApiHost.UploadAsync(_client, "?name=outside", File.ReadAllBytes(deltaPath)), HttpStatusCode.BadRequest,
            $"backing file '{basePath}' is outside the catalog");
    }

    [Test]
    public async Task BlockService_ReadsTheLayeredImageThroughItsChain()
    {
        await UploadPairAsync("diskbase");
        var expected = new byte[Size];
        expected.AsSpan(0, 1 << 20).Fill(0x11);
        expected.AsSpan(64 << 10, 64 << 10).Fill(0x22);
        var body = await _client.GetByteArrayAsync("/disk/diskbase-delta.v1");
        Assert.That(body, Is.EqualTo(expected));
    }

    [Test]
    public async Task DetailsPage_LinksEachBaseWithItsFormat_AndTheBaseListsItsLayer_AndRefusesDelete()
    {
        await UploadPairAsync("pagebase");
        var html = await _console.GetPageAsync("/images/pagebase-delta/1");
        Assert.Multiple(() =>
        {
            Assert.That(html, Does.Contain("<a href=\"/images/pagebase/1\">pagebase v1</a> <small>(qcow2, images/pagebase.v1.qcow2)</small>"));
            Assert.That(html, Does.Not.Contain("Standalone"));
            Assert.That(html, Does.Contain("Merged through the backing chain"));
        });
        var baseHtml = await _console.GetPageAsync("/images/pagebase/1");
        Assert.That(baseHtml, Does.Contain("<a href=\"/images/pagebase-delta/1\">pagebase-delta v1</a>"));

        using var refused = await _console.PostFormAsync("/images/pagebase/1?handler=Delete", []);
        var text = await refused.Content.ReadAsStringAsync();
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), text);
        Assert.That(ConsoleSession.ErrorText(text), Does.Contain("is the backing file of 1 image(s): pagebase-delta.v1; delete those first"));
    }
}
