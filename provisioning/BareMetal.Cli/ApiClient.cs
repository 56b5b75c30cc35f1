using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BareMetal.Provisioning.Web.Api;

namespace BareMetal.Cli;

/// <summary>
/// The CLI's side of the REST API: bearer token, JSON through the server's own source-generated
/// contract, and every failure (server unreachable, certificate refused, problem details) turned into
/// one CliException line. Over https the server's certificate must chain to the system's trust store
/// and name the host, or, when a fingerprint is pinned, be exactly that certificate (a self-signed one
/// included): nothing, not even the token, is sent before that check passes.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _server;
    private readonly string? _pin;
    private string? _certificateProblem;

    public ApiClient(ServerTarget target, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        _server = new Uri(target.Server + "/");
        _pin = target.Fingerprint;
        _http = handler is null ? new HttpClient(new SocketsHttpHandler
        {
            // A redirect (serve --tls's plain listener sends the API to https) is reported, not followed.
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = CheckCertificate },
        }) : new HttpClient(handler);
        _http.BaseAddress = _server;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        if (target.Token is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri Server => _server;

    private bool CheckCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
        System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            _certificateProblem = "the server sent no TLS certificate";
            return false;
        }
        var actual = Fingerprints.Of(certificate);
        if (_pin is not null)
        {
            if (string.Equals(actual, _pin, StringComparison.Ordinal))
            {
                return true;
            }
            _certificateProblem = $"certificate fingerprint mismatch: expected {_pin}, got {actual}";
            return false;
        }
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        _certificateProblem = errors == SslPolicyErrors.RemoteCertificateNameMismatch
            ? $"the server's certificate does not name {_server.Host}: pass --fingerprint {actual} to pin it (compare it with what `baremetal serve` printed)"
            : $"untrusted certificate: pass --fingerprint {actual} (compare it with what `baremetal serve` printed)";
        return false;
    }

    public Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), type, ct);

    public Task<string> GetRawAsync(string path, CancellationToken ct) =>
        SendAsync<string>(new HttpRequestMessage(HttpMethod.Get, path), null, ct);

    /// <summary>A POST with no body (an action on the resource, e.g. a node's reset).</summary>
    public Task<T> PostAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path), type, ct);

    public Task<TResult> SendJsonAsync<TBody, TResult>(HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<TResult> resultType, CancellationToken ct, string? whenUnauthorized = null) =>
        SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, bodyType) }, resultType, ct, whenUnauthorized);

    /// <summary>A DELETE whose answer has no body: true on success, false on 401 (the credentials are not, or no longer, valid).</summary>
    public async Task<bool> DeleteAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        using var response = await SendRawAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return false;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new CliException(await DescribeFailureAsync(response, ct));
        }
        return true;
    }

    /// <summary>The response, or a CliException saying why there is none (unreachable, certificate refused).</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException) when (_certificateProblem is { } problem)
        {
            throw new CliException($"{_server}: {problem}");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the server at {_server}: {e.Message} (is `baremetal serve` running? see --server)");
        }
        if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
        {
            response.Dispose();
            var target = location.IsAbsoluteUri ? location.GetLeftPart(UriPartial.Authority) : location.ToString();
            throw new CliException($"the server at {_server} redirects the API to {target}: use --server {target}");
        }
        return response;
    }

    public Task<T> SendStreamAsync<T>(string path, Stream body, long? length, JsonTypeInfo<T> resultType, CancellationToken ct)
    {
        var content = new StreamContent(body, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = length;
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, resultType, ct);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T>? type, CancellationToken ct, string? whenUnauthorized = null)
    {
        using (request)
        {
            using (var response = await SendRawAsync(request, ct))
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized && whenUnauthorized is not null)
                {
                    throw new CliException(whenUnauthorized);
                }
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
            text += $"; run `baremetal login`, or pass an API token with --token or {ServerTarget.TokenVariable}";
        }
        return text.ReplaceLineEndings(" ");
    }

    public void Dispose() => _http.Dispose();
}
