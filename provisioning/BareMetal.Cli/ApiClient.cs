using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BareMetal.Provisioning.Web.Api;

namespace BareMetal.Cli;

/// <summary>
/// The CLI's side of the REST API: bearer token, JSON through the server's own source-generated
/// contract, and every failure (server unreachable, problem details) turned into one CliException line.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    public const string TokenVariable = "BAREMETAL_TOKEN";

    private readonly HttpClient _http;
    private readonly Uri _server;

    public ApiClient(string server, string? token, HttpMessageHandler? handler = null)
    {
        if (!Uri.TryCreate(server.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--server '{server}': expected an http:// or https:// URL");
        }
        _server = uri;
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = uri;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), type, ct);

    public Task<string> GetRawAsync(string path, CancellationToken ct) =>
        SendAsync<string>(new HttpRequestMessage(HttpMethod.Get, path), null, ct);

    /// <summary>A POST with no body (an action on the resource, e.g. a node's reset).</summary>
    public Task<T> PostAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path), type, ct);

    public Task<TResult> SendJsonAsync<TBody, TResult>(HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<TResult> resultType, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, bodyType) }, resultType, ct);

    public Task<T> SendStreamAsync<T>(string path, Stream body, long? length, JsonTypeInfo<T> resultType, CancellationToken ct)
    {
        var content = new StreamContent(body, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = length;
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, resultType, ct);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T>? type, CancellationToken ct)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"cannot reach the server at {_server}: {e.Message} (is `baremetal serve` running? see --server)");
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw new CliException(await DescribeFailureAsync(response, ct));
                }
                if (type is null)
                {
                    return (T)(object)await response.Content.ReadAsStringAsync(ct);
                }
                try
                {
                    return await response.Content.ReadFromJsonAsync(type, ct) ?? throw new CliException("the server sent an empty answer");
                }
                catch (JsonException e)
                {
                    throw new CliException($"the server's answer is not what this CLI understands: {e.Message}");
                }
            }
        }
    }

    private static async Task<string> DescribeFailureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        string? title = null, detail = null;
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                title = doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
                detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            }
        }
        catch (JsonException)
        {
        }
        var text = $"server said {status}" + (title is null ? "" : $": {title}") + (detail is null ? "" : $" ({detail})");
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            text += $"; pass an API token with --token or {TokenVariable}";
        }
        return text.ReplaceLineEndings(" ");
    }

    public void Dispose() => _http.Dispose();
}
