using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BareMetal.Provisioning.Core.Boot;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>Deploy mode over HTTP: the script, the generated copier, and the done/failed routes the script calls back.</summary>
public sealed class DeployRouteTests
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync();
        _client = await _host.TokenClientAsync();
        await _host.UploadTinyImageAsync(_client);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<JsonElement> DeployingNodeAsync(string mac)
    {
        using (var added = await _client.PostAsJsonAsync("/api/v1/nodes", new { mac, architecture = "IntelX86Pc" }))
        {
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var assigned = await _client.PutAsJsonAsync($"/api/v1/nodes/{mac}/assignment", new { image = "tiny", mode = "deploy" }))
        {
            Assert.That(assigned.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using var anon = _host.Anonymous();
        _ = await anon.GetStringAsync($"/boot/{mac}.ipxe");
        return await CurrentAsync(mac);
    }

    private async Task<JsonElement> CurrentAsync(string mac)
    {
        using var r = await _client.GetAsync($"/api/v1/deployments/{mac}");
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement[0].Clone();
    }

    private static string[] States(JsonElement deployment) =>
        [.. deployment.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("state").GetString()!)];

    [Test]
    public async Task DeployNode_GetsTheSanhookCopierScript_AndTheCopierIsToldTheImageSize()
    {
        const string mac = "52:54:00:de:00:01";
        await DeployingNodeAsync(mac);
        using var anon = _host.Anonymous();
        var script = await anon.GetStringAsync($"/boot/{mac}.ipxe");
        Assert.That(script, Does.Contain("sanhook --no-describe --drive 0x81 http://").And.Contain("/disk/tiny.v1 || goto hook_failed"));
        Assert.That(script, Does.Not.Contain("@525400de0001"), "deploy copies the read-only image, not the node's overlay");
        Assert.That(script, Does.Contain($"/boot/{DeployCopier.FileName}?bytes={2 << 20} || goto copy_failed"));
        Assert.That(script, Does.Contain($"/boot/{mac}/deploy-done"));

        var copier = await anon.GetByteArrayAsync($"/boot/{DeployCopier.FileName}?bytes={2 << 20}");
        Assert.That(copier, Has.Length.EqualTo(DeployCopier.Bytes.Length));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(copier.AsSpan(DeployCopier.ImageSectorsOffset)), Is.EqualTo(4096));
        Assert.That(await anon.GetByteArrayAsync($"/boot/{DeployCopier.FileName}"), Is.EqualTo(DeployCopier.Bytes.ToArray()));
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{DeployCopier.FileName}?bytes=-1"), HttpStatusCode.BadRequest, "bytes");
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{DeployCopier.FileName}?bytes=lots"), HttpStatusCode.BadRequest, "bytes");

        // UEFI: the EFI application, copy mode told the size, or boot mode.
        Assert.That(script, Does.Contain($"/boot/{DeployCopierEfi.FileName}?bytes={2 << 20} || goto copy_failed"));
        var efi = await anon.GetByteArrayAsync($"/boot/{DeployCopierEfi.FileName}?bytes={2 << 20}");
        Assert.That(efi, Is.EqualTo(DeployCopierEfi.For(2 << 20)));
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(efi.AsSpan(DeployCopierEfi.ImageBytesOffset)), Is.EqualTo(2 << 20));
        Assert.That(await anon.GetByteArrayAsync($"/boot/{DeployCopierEfi.BootFileName}"), Is.EqualTo(DeployCopierEfi.ForBootLocal()));
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{DeployCopierEfi.FileName}?bytes=-1"), HttpStatusCode.BadRequest, "bytes");
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{DeployCopierEfi.FileName}?bytes=99999999999999999999"), HttpStatusCode.BadRequest, "bytes");
    }

    [Test]
    public async Task Done_MovesThroughCopyingToDone_BootsTheLocalDisk_AndIsIdempotent_ButFailedAfterDoneIs409()
    {
        const string mac = "52:54:00:de:00:02";
        Assert.That(States(await DeployingNodeAsync(mac)), Is.EqualTo(new[] { "bootloader" }));
        using var anon = _host.Anonymous();
        var answer = await anon.GetStringAsync($"/boot/{mac}/deploy-done");
        Assert.That(answer, Does.StartWith("#!ipxe").And.Contain("sanunhook --drive 0x81").And.Contain("sanboot --no-describe --drive 0x80 || exit"));
        var done = await CurrentAsync(mac);
        Assert.Multiple(() =>
        {
            Assert.That(States(done), Is.EqualTo(new[] { "bootloader", "copying", "done" }));
            Assert.That(done.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("source").GetString()), Is.EqualTo(new[] { "boot-script", "disk", "node" }));
            Assert.That(done.GetProperty("progress").GetProperty("copyPercent").GetDouble(), Is.EqualTo(100));
            Assert.That(done.GetProperty("mode").GetString(), Is.EqualTo("deploy"));
        });

        Assert.That(await anon.GetStringAsync($"/boot/{mac}/deploy-done"), Is.EqualTo(answer), "a retried done answers the same");
        Assert.That(States(await CurrentAsync(mac)), Is.EqualTo(new[] { "bootloader", "copying", "done" }), "and records nothing twice");
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{mac}/deploy-failed?reason=late"), HttpStatusCode.Conflict, "Done");
    }

    [Test]
    public async Task Failed_RecordsTheReason_AnswersAWaitingScript_Twice_ButDoneAfterFailedIs409()
    {
        const string mac = "52:54:00:de:00:03";
        await DeployingNodeAsync(mac);
        using var anon = _host.Anonymous();
        var answer = await anon.GetStringAsync($"/boot/{mac}/deploy-failed?reason=" + Uri.EscapeDataString("disk\u0007 too small ${x}"));
        Assert.That(answer, Does.StartWith("#!ipxe").And.Contain("deploy failed: disk  too small {x}").And.Contain($"sleep {BootScriptRenderer.DeployFailedRetrySeconds}"));
        var failed = await CurrentAsync(mac);
        Assert.That(States(failed), Is.EqualTo(new[] { "bootloader", "failed" }));
        Assert.That(failed.GetProperty("error").GetString(), Is.EqualTo("disk  too small ${x}"));

        Assert.That(await anon.GetStringAsync($"/boot/{mac}/deploy-failed?reason=again"), Does.Contain("deploy failed: disk  too small {x}"), "the first reason stands");
        Assert.That(States(await CurrentAsync(mac)), Is.EqualTo(new[] { "bootloader", "failed" }));
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{mac}/deploy-done"), HttpStatusCode.Conflict, "Failed");
    }

    [TestCase("/boot/not-a-mac/deploy-done", HttpStatusCode.BadRequest)]
    [TestCase("/boot/not-a-mac/deploy-failed?reason=x", HttpStatusCode.BadRequest)]
    [TestCase("/boot/52:54:00:de:99:99/deploy-done", HttpStatusCode.NotFound)]
    [TestCase("/boot/52:54:00:de:99:99/deploy-failed", HttpStatusCode.NotFound)]
    public async Task DoneOrFailed_ForABadMacOrAnUnknownNode_IsAProblem(string path, HttpStatusCode status)
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.GetAsync(path), status);
    }

    [Test]
    public async Task DoneOrFailed_WithNoDeploymentUnderWay_Is409()
    {
        const string mac = "52:54:00:de:00:04";
        using (var added = await _client.PostAsJsonAsync("/api/v1/nodes", new { mac }))
        {
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{mac}/deploy-done"), HttpStatusCode.Conflict);
        await Problem.AssertAsync(await anon.GetAsync($"/boot/{mac}/deploy-failed"), HttpStatusCode.Conflict);
    }
}
