using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Web.Tests;

[TestFixture(StoreBackend.Sqlite)]
[TestFixture(StoreBackend.Postgres)]
public sealed class SessionApiTests(StoreBackend backend)
{
    private ApiHost _host = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _host = await ApiHost.StartAsync(backend: backend);

    [OneTimeTearDown]
    public async Task StopAsync() => await _host.DisposeAsync();

    [Test]
    public async Task Healthz_IsOpen()
    {
        using var client = _host.Anonymous();
        Assert.That(await client.GetStringAsync("/healthz"), Is.EqualTo("ok\n"));
    }

    [Test]
    public async Task Session_Anonymous_SaysNotAuthenticated()
    {
        using var client = _host.Anonymous();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/api/v1/session"));
        Assert.That(doc.RootElement.GetProperty("authenticated").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Login_WrongPassword_Is401Problem()
    {
        using var client = _host.Anonymous();
        using var r = await client.PostAsJsonAsync("/api/v1/session", new { password = "nope" });
        await Problem.AssertAsync(r, HttpStatusCode.Unauthorized, "password");
        Assert.That(r.Headers.Contains("Set-Cookie"), Is.False);
    }

    [TestCase("{}", "password")]
    [TestCase("{\"password\": 42}", "password")]
    [TestCase("{\"password\": null}", "password")]
    [TestCase("{\"password\": ", "")]
    [TestCase("[]", "")]
    public async Task Login_BadBody_Is400Problem(string json, string mentions)
    {
        using var client = _host.Anonymous();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var r = await client.PostAsync("/api/v1/session", content);
        await Problem.AssertAsync(r, HttpStatusCode.BadRequest, mentions);
    }

    [Test]
    public async Task Login_NotJson_Is415Problem()
    {
        using var client = _host.Anonymous();
        using var content = new StringContent("password=x", Encoding.UTF8, "text/plain");
        using var r = await client.PostAsync("/api/v1/session", content);
        await Problem.AssertAsync(r, HttpStatusCode.UnsupportedMediaType);
    }

    [Test]
    public async Task Login_SetsHttpOnlyStrictCookie_AndSessionShowsCsrf()
    {
        using var client = _host.Anonymous();
        using var r = await client.PostAsJsonAsync("/api/v1/session", new { password = ApiHost.Password });
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var cookie = r.Headers.GetValues("Set-Cookie").Single();
        Assert.That(cookie, Does.Contain("httponly").IgnoreCase.And.Contain("samesite=strict").IgnoreCase);
        using var cookieClient = await _host.CookieClientAsync(withCsrf: false);
        using var doc = JsonDocument.Parse(await cookieClient.GetStringAsync("/api/v1/session"));
        Assert.That(doc.RootElement.GetProperty("authenticated").GetBoolean(), Is.True);
        Assert.That(doc.RootElement.GetProperty("method").GetString(), Is.EqualTo("cookie"));
        Assert.That(doc.RootElement.GetProperty("csrfToken").GetString(), Has.Length.GreaterThan(20));
    }

    [Test]
    public async Task Tokens_NoAuth_Is401Problem()
    {
        using var client = _host.Anonymous();
        await Problem.AssertAsync(await client.GetAsync("/api/v1/tokens"), HttpStatusCode.Unauthorized, "log in");
        await Problem.AssertAsync(await client.PostAsJsonAsync("/api/v1/tokens", new { name = "x" }), HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Tokens_CookieWithoutCsrf_Is403Problem()
    {
        using var client = await _host.CookieClientAsync(withCsrf: false);
        using var r = await client.PostAsJsonAsync("/api/v1/tokens", new { name = "csrf" });
        await Problem.AssertAsync(r, HttpStatusCode.Forbidden, "X-CSRF-Token");
    }

    [Test]
    public async Task Tokens_CookieWithWrongCsrf_Is403Problem()
    {
        using var client = await _host.CookieClientAsync(withCsrf: false);
        client.DefaultRequestHeaders.Add("X-CSRF-Token", "guess");
        using var r = await client.PostAsJsonAsync("/api/v1/tokens", new { name = "csrf" });
        await Problem.AssertAsync(r, HttpStatusCode.Forbidden, "X-CSRF-Token");
    }

    [Test]
    public async Task Token_CreatedOnce_ListedWithoutSecret_WorksUntilRevoked()
    {
        using var cookie = await _host.CookieClientAsync();
        using var created = await cookie.PostAsJsonAsync("/api/v1/tokens", new { name = "ci" });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        using var createdDoc = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var secret = createdDoc.RootElement.GetProperty("token").GetString()!;
        var id = createdDoc.RootElement.GetProperty("id").GetInt64();

        var list = await cookie.GetStringAsync("/api/v1/tokens");
        Assert.That(list, Does.Contain("\"ci\"").And.Not.Contain(secret));

        using var bearer = _host.Anonymous();
        bearer.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        // A token needs no CSRF header for state changes.
        using (var made = await bearer.PostAsJsonAsync("/api/v1/tokens", new { name = "by-token" }))
        {
            Assert.That(made.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var revoke = await cookie.DeleteAsync($"/api/v1/tokens/{id}"))
        {
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        await Problem.AssertAsync(await bearer.GetAsync("/api/v1/tokens"), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await cookie.DeleteAsync($"/api/v1/tokens/{id}"), HttpStatusCode.NotFound);
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("bad\u0001name")]
    public async Task Token_BadName_Is400Problem(string name)
    {
        using var cookie = await _host.CookieClientAsync();
        await Problem.AssertAsync(await cookie.PostAsJsonAsync("/api/v1/tokens", new { name }), HttpStatusCode.BadRequest, "token name");
    }

    [Test]
    public async Task Token_NameTooLong_Is400Problem()
    {
        using var cookie = await _host.CookieClientAsync();
        await Problem.AssertAsync(await cookie.PostAsJsonAsync("/api/v1/tokens", new { name = new string('a', 65) }), HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task NotBearer_Authorization_Is401Problem()
    {
        using var client = _host.Anonymous();
        client.DefaultRequestHeaders.Add("Authorization", "Basic YWRtaW46eA==");
        await Problem.AssertAsync(await client.GetAsync("/api/v1/tokens"), HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Logout_EndsTheSession()
    {
        using var cookie = await _host.CookieClientAsync();
        using (var r = await cookie.DeleteAsync("/api/v1/session"))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        await Problem.AssertAsync(await cookie.GetAsync("/api/v1/tokens"), HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task UnknownApiRoute_Is404Problem()
    {
        using var client = await _host.TokenClientAsync();
        await Problem.AssertAsync(await client.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound);
    }
}

public sealed class LoginRateLimitTests
{
    [Test]
    public async Task Login_TooManyAttempts_Is429Problem()
    {
        await using var host = await ApiHost.StartAsync(o => o with { LoginAttemptsPerMinute = 2 });
        using var client = host.Anonymous();
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await client.PostAsJsonAsync("/api/v1/session", new { password = "guess" + i });
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
        using var r = await client.PostAsJsonAsync("/api/v1/session", new { password = ApiHost.Password });
        await Problem.AssertAsync(r, HttpStatusCode.TooManyRequests, "wait");
    }

    [Test]
    public async Task LoginPage_Reloads_DoNotUseUpTheAttempts()
    {
        await using var host = await ApiHost.StartAsync(o => o with { LoginAttemptsPerMinute = 2 });
        using var client = host.Anonymous();
        for (var i = 0; i < 5; i++)
        {
            using var page = await client.GetAsync("/login");
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"GET /login #{i + 1}");
        }
        using var login = await client.PostAsJsonAsync("/api/v1/session", new { password = ApiHost.Password });
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the attempts are still there after reloading the page");
    }
}
