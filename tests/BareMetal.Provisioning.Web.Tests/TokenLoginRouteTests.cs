using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>POST /api/v1/session/token (`baremetal login`) and DELETE /api/v1/tokens/current (`baremetal logout`).</summary>
public sealed class TokenLoginRouteTests
{
    private ApiHost _host = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _host = await ApiHost.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _host.DisposeAsync();

    [Test]
    public async Task SessionToken_RightPassword_GivesAWorkingToken_WrongOneGivesNone()
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/session/token", new { password = "wrong", name = "nope" }), HttpStatusCode.Unauthorized, "did not match");
        var created = await ApiHost.JsonAsync(await anon.PostAsJsonAsync("/api/v1/session/token", new { password = ApiHost.Password, name = "laptop login" }), HttpStatusCode.Created);
        Assert.That(created.GetProperty("name").GetString(), Is.EqualTo("laptop login"));
        using var bearer = _host.Anonymous();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("token").GetString());
        var tokens = await ApiHost.JsonAsync(await bearer.GetAsync("/api/v1/tokens"), HttpStatusCode.OK);
        Assert.That(tokens.EnumerateArray().Select(t => t.GetProperty("name").GetString()), Does.Contain("laptop login").And.Not.Contain("nope"));
        // No cookie: a CLI login leaves no browser session behind.
        using var again = await anon.PostAsJsonAsync("/api/v1/session/token", new { password = ApiHost.Password, name = "second" });
        Assert.That(again.Headers.Contains("Set-Cookie"), Is.False);
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("bad\u0001name")]
    public async Task SessionToken_BadName_Is400(string name)
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/session/token", new { password = ApiHost.Password, name }), HttpStatusCode.BadRequest, "token name");
    }

    [Test]
    public async Task SessionToken_MissingPassword_Is400()
    {
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.PostAsJsonAsync("/api/v1/session/token", new { name = "x" }), HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task TokensCurrent_RevokesTheCallersOwnToken_AndOnlyIt()
    {
        var keep = await _host.CreateTokenAsync("keep");
        var drop = await _host.CreateTokenAsync("drop");
        using var dropping = _host.Anonymous();
        dropping.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", drop);
        using (var r = await dropping.DeleteAsync("/api/v1/tokens/current"))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        await Problem.AssertAsync(await dropping.GetAsync("/api/v1/nodes"), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await dropping.DeleteAsync("/api/v1/tokens/current"), HttpStatusCode.Unauthorized);
        using var keeping = _host.Anonymous();
        keeping.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", keep);
        using var list = await keeping.GetAsync("/api/v1/tokens");
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var doc = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        var dropped = doc.RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "drop");
        Assert.That(dropped.GetProperty("revokedAt").ValueKind, Is.EqualTo(JsonValueKind.String));
    }

    [Test]
    public async Task TokensCurrent_WithACookie_Is400_AndWithoutCredentials_Is401()
    {
        using var cookie = await _host.CookieClientAsync();
        await Problem.AssertAsync(await cookie.DeleteAsync("/api/v1/tokens/current"), HttpStatusCode.BadRequest, "cookie");
        using var anon = _host.Anonymous();
        await Problem.AssertAsync(await anon.DeleteAsync("/api/v1/tokens/current"), HttpStatusCode.Unauthorized);
    }
}
