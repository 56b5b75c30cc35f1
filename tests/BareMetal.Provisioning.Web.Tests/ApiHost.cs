using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;
using Microsoft.AspNetCore.TestHost;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The whole server in process (TestServer instead of Kestrel; no TFTP, NBD or DHCP) over a fresh data
/// directory, with clients that are anonymous, logged in by cookie, or carry an API token.
/// </summary>
internal sealed class ApiHost : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    private ApiHost(TempDir dir, BareMetalServer server)
    {
        Dir = dir;
        Server = server;
    }

    public TempDir Dir { get; }

    public BareMetalServer Server { get; }

    public string DataDirectory => Dir.Path;

    public static async Task<ApiHost> StartAsync(Func<ServeOptions, ServeOptions>? configure = null, bool testServer = true)
    {
        var dir = new TempDir("bm-web");
        var options = new ServeOptions
        {
            DataDirectory = dir.Path,
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            Tftp = null,
            Nbd = null,
            AdminPassword = Password,
            LogToConsole = false,
            LoginAttemptsPerMinute = 1000,
            ConfigureWeb = testServer ? b => b.WebHost.UseTestServer() : null,
        };
        options = configure?.Invoke(options) ?? options;
        var server = new BareMetalServer(options);
        try
        {
            await server.StartAsync(CancellationToken.None);
        }
        catch
        {
            await server.DisposeAsync();
            dir.Dispose();
            throw;
        }
        return new ApiHost(dir, server);
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => Server.Web.GetTestClient();

    /// <summary>A client logged in by cookie; its CSRF token is sent only when <paramref name="withCsrf"/>.</summary>
    public async Task<HttpClient> CookieClientAsync(bool withCsrf = true)
    {
        var client = Anonymous();
        using var login = await client.PostAsJsonAsync("/api/v1/session", new { password = Password });
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK), await login.Content.ReadAsStringAsync());
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("baremetal_session=", StringComparison.Ordinal));
        client.DefaultRequestHeaders.Add("Cookie", cookie.Split(';')[0]);
        using var body = JsonDocument.Parse(await login.Content.ReadAsStringAsync());
        if (withCsrf)
        {
            client.DefaultRequestHeaders.Add("X-CSRF-Token", body.RootElement.GetProperty("csrfToken").GetString());
        }
        return client;
    }

    /// <summary>A client carrying a fresh API token (created through the cookie session).</summary>
    public async Task<HttpClient> TokenClientAsync()
    {
        var token = await CreateTokenAsync("tests");
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<string> CreateTokenAsync(string name)
    {
        using var cookie = await CookieClientAsync();
        using var created = await cookie.PostAsJsonAsync("/api/v1/tokens", new { name });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Dir.Dispose();
    }
}
