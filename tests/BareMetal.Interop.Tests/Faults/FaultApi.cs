using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace BareMetal.Interop.Tests.Faults;

/// <summary>
/// The REST API of a `baremetal serve` process, as a script uses it: a bearer token made once through
/// the documented login (password -> cookie + CSRF -> POST /tokens), then plain JSON calls. The token
/// lives in the database, so it keeps working across kills and restarts on the same data directory.
/// </summary>
public sealed class FaultApi : IDisposable
{
    private readonly HttpClient _http;

    private FaultApi(int port, string token)
    {
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(2) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Logs in with the admin password and makes an API token.</summary>
    public static async Task<string> CreateTokenAsync(int port, string password)
    {
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer() };
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(1) };
        using var login = await http.PostAsJsonAsync("api/v1/session", new { password });
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK), await login.Content.ReadAsStringAsync());
        var csrf = (await login.Content.ReadFromJsonAsync<JsonObject>())!["csrfToken"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/tokens") { Content = JsonContent.Create(new { name = "fault-tests" }) };
        request.Headers.Add("X-CSRF-Token", csrf);
        using var created = await http.SendAsync(request);
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        return (await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    public static FaultApi Connect(int port, string token) => new(port, token);

    /// <summary>GET a JSON answer; null on 404.</summary>
    public async Task<JsonNode?> GetAsync(string path)
    {
        using var r = await _http.GetAsync(path);
        if (r.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"GET {path}: {await r.Content.ReadAsStringAsync()}");
        return JsonNode.Parse(await r.Content.ReadAsStringAsync());
    }

    public async Task<JsonNode> SendJsonAsync(HttpMethod method, string path, object body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        using var r = await _http.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(expected), $"{method} {path}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>POST /api/v1/images/upload with <paramref name="content"/> as the raw body; returns the response.</summary>
    public async Task<HttpResponseMessage> UploadAsync(string name, HttpContent content, CancellationToken cancellationToken = default)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await _http.PostAsync($"api/v1/images/upload?name={Uri.EscapeDataString(name)}", content, cancellationToken);
    }

    /// <summary>Uploads a whole file and returns the image the server made of it (201 expected).</summary>
    public async Task<JsonNode> UploadFileAsync(string name, string path)
    {
        await using var file = File.OpenRead(path);
        using var content = new StreamContent(file);
        using var r = await UploadAsync(name, content);
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created), $"upload {name}: {text}");
        return JsonNode.Parse(text)!;
    }

    public void Dispose() => _http.Dispose();
}
