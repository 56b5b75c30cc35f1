using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// A signed-in browser, minus the browser, for the console's own forms: keeps its cookies (the session
/// and Razor's antiforgery cookie), reads the antiforgery request token from the page it last loaded,
/// and posts forms with or without it. Redirects are not followed, so a test sees the 302.
/// </summary>
internal sealed partial class ConsoleSession : IDisposable
{
    private readonly HttpClient _client;
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    private ConsoleSession(HttpClient client) => _client = client;

    /// <summary>The antiforgery request token of the last page loaded (its csrf-token meta tag).</summary>
    public string? FormToken { get; private set; }

    public static async Task<ConsoleSession> SignInAsync(ApiHost host)
    {
        var session = new ConsoleSession(host.Anonymous());
        using var login = await session.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/session") { Content = JsonContent.Create(new { password = ApiHost.Password }) });
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return session;
    }

    /// <summary>GETs a page (200 expected) and remembers its antiforgery token; returns the HTML.</summary>
    public async Task<string> GetPageAsync(string path)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path));
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"GET {path}");
        FormToken = CsrfMeta().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
        Assert.That(FormToken, Is.Not.Empty, $"{path} carries no antiforgery token");
        return html;
    }

    /// <summary>Posts a url-encoded form, adding the page's antiforgery token unless told not to.</summary>
    public Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, bool withToken = true)
    {
        var all = fields.ToList();
        if (withToken)
        {
            all.Add(new("__RequestVerificationToken", FormToken ?? throw new InvalidOperationException("load a page first")));
        }
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(all) });
    }

    /// <summary>
    /// Sends an upload as the console's script does: the file is the body, the token a header.
    /// <paramref name="chunked"/>: no Content-Length, so only the streamed byte count can trip the limit.
    /// </summary>
    public Task<HttpResponseMessage> UploadAsync(string query, HttpContent body, bool withToken = true, bool chunked = false)
    {
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Post, "/images/upload" + query) { Content = body };
        if (chunked)
        {
            body.Headers.ContentLength = null;
            request.Headers.TransferEncodingChunked = true;
        }
        if (withToken)
        {
            request.Headers.Add("RequestVerificationToken", FormToken ?? throw new InvalidOperationException("load a page first"));
        }
        return SendAsync(request);
    }

    /// <summary>The page's visible error box(es), decoded: what the user reads.</summary>
    public static string ErrorText(string html) =>
        string.Join(" | ", ErrorBox().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value).Trim()).Where(t => t.Length > 0));

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }
            var response = await _client.SendAsync(request);
            if (response.Headers.TryGetValues("Set-Cookie", out var set))
            {
                foreach (var pair in set.Select(c => c.Split(';')[0].Split('=', 2)).Where(p => p.Length == 2))
                {
                    _cookies[pair[0]] = pair[1];
                }
            }
            return response;
        }
    }

    public void Dispose() => _client.Dispose();

    [GeneratedRegex("<meta name=\"csrf-token\" content=\"([^\"]*)\"")]
    private static partial Regex CsrfMeta();

    [GeneratedRegex("<p class=\"error-box\" role=\"alert\"[^>]*>(.*?)</p>", RegexOptions.Singleline)]
    private static partial Regex ErrorBox();
}
