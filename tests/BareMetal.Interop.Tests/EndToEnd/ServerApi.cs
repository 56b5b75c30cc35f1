using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BareMetal.Interop.Tests.EndToEnd;

/// <summary>
/// The server's REST API as docs/api.md tells a user to call it, over real HTTP: log in with the admin
/// password (session cookie + CSRF token), create an API token with that session, then call everything
/// else with `Authorization: Bearer`. The cookie client stays around for the console's HTML pages.
/// Answers are parsed as plain JSON (the test checks the documented wire shape, not our C# records).
/// </summary>
public sealed class ServerApi : IDisposable
{
    /// <summary>Longest any single API call may take (the server runs in-process; TCG QEMU loads the CPU).</summary>
    private static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(60);

    private readonly HttpClient _cookie;
    private readonly HttpClient _bearer;

    private readonly HttpClient _feed;

    private ServerApi(HttpClient cookie, HttpClient bearer)
    {
        _cookie = cookie;
        _bearer = bearer;
        // A stream that stays open for the whole test: no overall timeout, only the per-read ones.
        _feed = new HttpClient { BaseAddress = bearer.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        _feed.DefaultRequestHeaders.Authorization = bearer.DefaultRequestHeaders.Authorization;
    }

    /// <summary>POST /api/v1/session with the password, then POST /api/v1/tokens with the cookie and its CSRF token.</summary>
    public static async Task<ServerApi> LogInAsync(Uri baseAddress, string password)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var cookie = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
            Timeout = CallLimit,
        };
        var bearer = new HttpClient { BaseAddress = baseAddress, Timeout = CallLimit };
        try
        {
            var login = await Json(await cookie.PostAsJsonAsync("/api/v1/session", new { password }), HttpStatusCode.OK);
            Assert.That(login["authenticated"]?.GetValue<bool>(), Is.True, login.ToJsonString());
            var csrf = login["csrfToken"]?.GetValue<string>() ?? throw new AssertionException($"no csrfToken in {login.ToJsonString()}");
            using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tokens") { Content = JsonContent.Create(new { name = "e2e" }) };
            create.Headers.Add("X-CSRF-Token", csrf);
            var token = await Json(await cookie.SendAsync(create), HttpStatusCode.Created);
            var secret = token["token"]?.GetValue<string>() ?? throw new AssertionException($"no token in {token.ToJsonString()}");
            Assert.That(secret, Does.StartWith("bm_"));
            bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            return new ServerApi(cookie, bearer);
        }
        catch
        {
            cookie.Dispose();
            bearer.Dispose();
            throw;
        }
    }

    /// <summary>POST /api/v1/images/upload?name=N: the file is the raw request body.</summary>
    public async Task<JsonNode> UploadImageAsync(string file, string name, string osLabel)
    {
        await using var stream = File.OpenRead(file);
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = stream.Length;
        var url = $"/api/v1/images/upload?name={Uri.EscapeDataString(name)}&osLabel={Uri.EscapeDataString(osLabel)}";
        return await Json(await _bearer.PostAsync(url, content), HttpStatusCode.Created);
    }

    /// <summary>POST /api/v1/images {path}: a file already on the server, under data/import or an import root.</summary>
    public async Task<JsonNode> ImportImageAsync(string serverPath, string name) =>
        await Json(await _bearer.PostAsJsonAsync("/api/v1/images", new { path = serverPath, name }), HttpStatusCode.Created);

    /// <summary>POST /api/v1/nodes {mac, architecture}: a node added by hand before it ever boots.</summary>
    public async Task<JsonNode> AddNodeAsync(string mac, string architecture) =>
        await Json(await _bearer.PostAsJsonAsync("/api/v1/nodes", new { mac, architecture }), HttpStatusCode.Created);

    public async Task<JsonArray> NodesAsync() => (await Json(await _bearer.GetAsync("/api/v1/nodes"), HttpStatusCode.OK)).AsArray();

    /// <summary>PUT /api/v1/nodes/{mac}/assignment.</summary>
    public async Task<JsonNode> AssignAsync(string mac, string image, string mode) =>
        await Json(await _bearer.PutAsJsonAsync($"/api/v1/nodes/{mac}/assignment", new { image, mode }), HttpStatusCode.OK);

    /// <summary>PUT /api/v1/nodes/{mac}/assignment that must be refused: answers the problem details (RFC 7807).</summary>
    public async Task<JsonNode> AssignRefusedAsync(string mac, string image, string mode, HttpStatusCode expected)
    {
        using var response = await _bearer.PutAsJsonAsync($"/api/v1/nodes/{mac}/assignment", new { image, mode });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body);
        var problem = JsonNode.Parse(body) ?? throw new AssertionException("null problem");
        Assert.That(problem["status"]?.GetValue<int>(), Is.EqualTo((int)expected), body);
        return problem;
    }

    /// <summary>PUT /api/v1/settings with one pair; answers every setting.</summary>
    public async Task<JsonNode> SetSettingAsync(string key, string value) =>
        await Json(await _bearer.PutAsJsonAsync("/api/v1/settings", new Dictionary<string, string> { [key] = value }), HttpStatusCode.OK);

    /// <summary>GET /api/v1/deployments/{mac}: that node's deployments, newest first, with history.</summary>
    public async Task<JsonArray> DeploymentsAsync(string mac) =>
        (await Json(await _bearer.GetAsync($"/api/v1/deployments/{mac}?limit=10"), HttpStatusCode.OK)).AsArray();

    /// <summary>The live change feed (SSE), as the console's pages subscribe to it; with the bearer token.</summary>
    public Task<ChangeFeed> OpenChangeFeedAsync() => ChangeFeed.OpenAsync(_feed);

    /// <summary>A console page as the logged-in browser gets it (session cookie); the HTML text.</summary>
    public async Task<string> ConsolePageAsync(string path)
    {
        using var response = await _cookie.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"GET {path}: {body}");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"), $"GET {path}");
        return body;
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(expected), $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
            try
            {
                return JsonNode.Parse(body) ?? throw new AssertionException($"null JSON from {response.RequestMessage?.RequestUri}");
            }
            catch (JsonException e)
            {
                throw new AssertionException($"not JSON from {response.RequestMessage?.RequestUri}: {e.Message}: {body}");
            }
        }
    }

    public void Dispose()
    {
        _feed.Dispose();
        _cookie.Dispose();
        _bearer.Dispose();
    }
}
