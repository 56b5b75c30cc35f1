using System.Net;
using System.Net.Http.Json;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The mutating routes whose path carries the input (a MAC, an image name and version, a token id): a
/// bad value is a 4xx problem naming it, never a 500 and never a change. The happy paths are in the
/// route families' own fixtures; this one holds what the audit found untested.
/// </summary>
public sealed class MutatingRouteBadInputTests
{
    private const string Known = "52:54:00:00:0e:01";
    private ApiHost _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync();
        _client = await _host.TokenClientAsync();
        using (var r = await ApiHost.UploadAsync(_client, "?name=kept", File.ReadAllBytes(_host.WriteRawImage("kept.img"))))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var r = await _client.PostAsJsonAsync("/api/v1/nodes", new { mac = Known }))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var r = await _client.PutAsJsonAsync($"/api/v1/nodes/{Known}/assignment", new { image = "kept", mode = "stream" }))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>Everything the fixture set up is still there: a refused request changed nothing.</summary>
    [TearDown]
    public async Task NothingChanged()
    {
        using var node = await _client.GetAsync($"/api/v1/nodes/{Known}");
        Assert.That(await node.Content.ReadAsStringAsync(), Does.Contain("\"image\":\"kept\""), "the node keeps its assignment");
        using var image = await _client.GetAsync("/api/v1/images/kept?version=1");
        Assert.That(image.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the image is still there");
    }

    // Bad MACs: too short, not hex, a path trick, one octet too many, a MAC in words.
    private static readonly string[] BadMacs = ["zz:zz", "52:54:00:00:0e:zz", "..%2F..%2Fetc", "52:54:00:00:0e:01:02", "not-a-mac"];

    [TestCaseSource(nameof(BadMacs))]
    public async Task Unassign_BadMac_Is400(string mac) =>
        await Problem.AssertAsync(await _client.DeleteAsync($"/api/v1/nodes/{mac}/assignment"), HttpStatusCode.BadRequest, "MAC");

    [Test]
    public async Task Unassign_UnknownNode_Is404() =>
        await Problem.AssertAsync(await _client.DeleteAsync("/api/v1/nodes/52:54:00:00:0e:99/assignment"), HttpStatusCode.NotFound, "52:54:00:00:0e:99");

    [Test]
    public async Task Unassign_NoAuth_Is401()
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.DeleteAsync($"/api/v1/nodes/{Known}/assignment"), HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Unassign_CookieWithoutCsrf_Is403()
    {
        using var cookie = await _host.CookieClientAsync(withCsrf: false);
        await Problem.AssertAsync(await cookie.DeleteAsync($"/api/v1/nodes/{Known}/assignment"), HttpStatusCode.Forbidden, "CSRF");
    }

    [TestCaseSource(nameof(BadMacs))]
    public async Task Reset_BadMac_Is400(string mac) =>
        await Problem.AssertAsync(await _client.PostAsync($"/api/v1/nodes/{mac}/reset", null), HttpStatusCode.BadRequest, "MAC");

    [TestCaseSource(nameof(BadMacs))]
    public async Task DeleteNode_BadMac_Is400(string mac) =>
        await Problem.AssertAsync(await _client.DeleteAsync($"/api/v1/nodes/{mac}"), HttpStatusCode.BadRequest, "MAC");

    [TestCase("..%2F..%2Fetc")]
    [TestCase("a%2Fb")]
    [TestCase("...")]
    [TestCase(".hidden")]
    [TestCase("x%40y")]
    [TestCase("a%5Cb")]
    [TestCase("kept%20")]
    public async Task DeleteImage_PathTricksInName_Is400(string name) =>
        await Problem.AssertAsync(await _client.DeleteAsync($"/api/v1/images/{name}"), HttpStatusCode.BadRequest);

    [TestCase("abc")]
    [TestCase("1.5")]
    [TestCase("99999999999")]
    public async Task DeleteImage_VersionNotANumber_Is400(string version) =>
        await Problem.AssertAsync(await _client.DeleteAsync($"/api/v1/images/kept?version={version}"), HttpStatusCode.BadRequest);

    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("7")]
    public async Task DeleteImage_NoSuchVersion_Is404(string version) =>
        await Problem.AssertAsync(await _client.DeleteAsync($"/api/v1/images/kept?version={version}"), HttpStatusCode.NotFound, "kept");

    [TestCase("abc", "abc")]
    [TestCase("-1", "-1")]
    [TestCase("1e3", "1e3")]
    [TestCase("99999999999999999999", "99999999999999999999")]
    [TestCase("%20", "")]
    public async Task DeleteToken_NotANumber_Is400(string id, string mentions) =>
        await Problem.AssertAsync(await _client.DeleteAsync($"/api/v1/tokens/{id}"), HttpStatusCode.BadRequest, mentions);

    [Test]
    public async Task DeleteToken_UnknownId_Is404() =>
        await Problem.AssertAsync(await _client.DeleteAsync("/api/v1/tokens/987654"), HttpStatusCode.NotFound, "987654");
}
