using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;
using Microsoft.AspNetCore.TestHost;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The whole server in process (TestServer instead of Kestrel; no TFTP, NBD or DHCP) over a fresh data
/// directory, with clients that are anonymous, logged in by cookie, or carry an API token. The catalog is
/// SQLite in that directory, or with <see cref="StoreBackend.Postgres"/> a fresh database in the private
/// cluster (<c>--catalog postgres://...</c>), so a fixture that starts one host per run pays for one
/// CREATE DATABASE, not one per test.
/// </summary>
internal sealed partial class ApiHost : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    private readonly ServeOptions _options;

    private ApiHost(TempDir dir, BareMetalServer server, ServeOptions options)
    {
        Dir = dir;
        Server = server;
        _options = options;
    }

    public TempDir Dir { get; }

    public BareMetalServer Server { get; private set; }

    public string DataDirectory => Dir.Path;

    public static async Task<ApiHost> StartAsync(Func<ServeOptions, ServeOptions>? configure = null, bool testServer = true, StoreBackend backend = StoreBackend.Sqlite)
    {
        // First, so a machine without PostgreSQL skips (or fails on CI) before anything is made.
        var catalog = backend == StoreBackend.Postgres ? PostgresCluster.Shared.CreateDatabase() : null;
        var dir = new TempDir("bm-web");
        var options = new ServeOptions
        {
            DataDirectory = dir.Path,
            Catalog = catalog,
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            Tftp = null,
            Nbd = null,
            Iscsi = null,
            AdminPassword = Password,
            LogToConsole = false,
            LoginAttemptsPerMinute = 1000,
            PasswordIterations = 1000,
            ProgressInterval = Timeout.InfiniteTimeSpan,
            ConfigureWeb = testServer ? b => b.WebHost.UseTestServer() : null,
            NodeAddresses = TrustingAddresses.Instance,
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
        return new ApiHost(dir, server, options) { _testServer = testServer };
    }

    /// <summary>
    /// Stops the server and starts a new one on the same data directory and options, as a restart would:
    /// what the old one held only in memory is gone (it takes no last progress sample on the way out, so
    /// for progress this is a kill). A real socket's port changes: make new clients.
    /// </summary>
    public async Task RestartAsync()
    {
        await Server.DisposeAsync();
        Server = new BareMetalServer(_options);
        await Server.StartAsync(CancellationToken.None);
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => _testServer
        ? Server.Web.GetTestClient()
        : new HttpClient { BaseAddress = Server.HttpAddress };

    private bool _testServer = true;

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

    /// <summary>A small raw disk with recognisable data in its first MiB.</summary>
    public string WriteRawImage(string fileName, int mib = 2)
    {
        var path = Dir.File(fileName);
        var bytes = new byte[mib << 20];
        for (var i = 0; i < 4096; i++)
        {
            bytes[i] = (byte)'A';
        }
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Registers <paramref name="mac"/> as its boot firmware's first contact would (fetching a script no longer does).</summary>
    public async Task RegisterNodeAsync(string mac) =>
        await Server.Database.Nodes.RegisterContactAsync(new BareMetal.Provisioning.Core.Nodes.HttpBootContact(mac, null));

    /// <summary>The node's boot script, fetched as the node (the host's default verifier takes every address as the node's).</summary>
    public async Task<string> FetchScriptAsync(string mac)
    {
        using var anon = Anonymous();
        return await anon.GetStringAsync($"/boot/{mac}.ipxe");
    }

    /// <summary>The export a stream script sanboots: "base.v1@525400ccdd01~KEY", the deployment's key included.</summary>
    public static string DiskExportIn(string script)
    {
        var m = Regex.Match(script, @"sanboot --no-describe \S+/disk/(\S+)");
        Assert.That(m.Success, Is.True, script);
        return m.Groups[1].Value;
    }

    /// <summary>Registers the node, assigns it to stream <paramref name="image"/> and fetches its script: the keyed name of its export.</summary>
    public async Task<string> StreamingExportAsync(HttpClient admin, string mac, string image)
    {
        await RegisterNodeAsync(mac);
        using var r = await admin.PutAsJsonAsync($"/api/v1/nodes/{mac}/assignment", new { image, mode = "stream" });
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), await r.Content.ReadAsStringAsync());
        return DiskExportIn(await FetchScriptAsync(mac));
    }

    /// <summary>Asserts the status (with the body in the message) and returns the response's JSON; disposes the response.</summary>
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        ArgumentNullException.ThrowIfNull(r);
        using (r)
        {
            var text = await r.Content.ReadAsStringAsync();
            Assert.That(r.StatusCode, Is.EqualTo(expected), text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    /// <summary>Uploads a 2 MiB raw image as "tiny" (version 1) through <paramref name="client"/>: the image most route fixtures start with.</summary>
    public async Task UploadTinyImageAsync(HttpClient client)
    {
        using var r = await UploadAsync(client, "?name=tiny", File.ReadAllBytes(WriteRawImage("tiny.img")));
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    /// <summary>Uploads bytes as an image through the API; returns the response.</summary>
    public static async Task<HttpResponseMessage> UploadAsync(HttpClient client, string query, byte[] bytes, string contentType = "application/octet-stream")
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await client.PostAsync("/api/v1/images/upload" + query, content);
    }

    /// <summary>The port the NBD server bound (the host must be started with an NBD endpoint).</summary>
    public int NbdPort =>
        int.Parse(NbdEndpoint().Match(Server.Endpoints.Single(e => e.StartsWith("nbd", StringComparison.Ordinal))).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"nbd://127\.0\.0\.1:(\d+)/")]
    private static partial Regex NbdEndpoint();

    public async Task<string> CreateTokenAsync(string name)
    {
        using var cookie = await CookieClientAsync();
        using var created = await cookie.PostAsJsonAsync("/api/v1/tokens", new { name });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>A client on <paramref name="https"/>'s handler and address carrying a fresh API token made by logging in there.</summary>
    public async Task<HttpClient> CreateTokenAsyncOver(HttpClient https)
    {
        ArgumentNullException.ThrowIfNull(https);
        using var created = await https.PostAsJsonAsync("/api/v1/session/token", new { password = Password, name = "over-https-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        })
        { BaseAddress = https.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.RootElement.GetProperty("token").GetString());
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Dir.Dispose();
    }
}
