using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The two listeners of serve --tls on real loopback sockets: HTTPS serves everything and sends HSTS;
/// the plain one serves what nodes fetch and turns everything else away before it reaches a route.
/// Without --tls the one plain listener behaves as it always did.
/// </summary>
public sealed class TlsListenerTests
{
    private ApiHost _host = null!;
    private HttpClient _https = null!;
    private HttpClient _plain = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { Tls = true, Https = new IPEndPoint(IPAddress.Loopback, 0) }, testServer: false);
        var fingerprint = _host.Server.TlsFingerprint!;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            // Pinned, as the CLI does: this certificate and no other.
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && Fingerprint(cert.GetRawCertData()) == fingerprint,
            },
        };
        _https = new HttpClient(handler) { BaseAddress = _host.Server.HttpsAddress };
        _plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _host.Server.HttpAddress };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _https?.Dispose();
        _plain?.Dispose();
        await _host.DisposeAsync();
    }

    [Test]
    public void Endpoints_SayWhichListenerServesWhat_AndTheFingerprint()
    {
        Assert.That(_host.Server.HttpsAddress!.Scheme, Is.EqualTo("https"));
        Assert.That(_host.Server.HttpsAddress.Port, Is.Not.EqualTo(_host.Server.HttpAddress!.Port));
        Assert.That(_host.Server.Endpoints[0], Does.StartWith($"https {_host.Server.HttpsAddress.ToString().TrimEnd('/')}/"));
        Assert.That(_host.Server.Endpoints[1], Does.StartWith("http ").And.Contain("nodes only"));
        Assert.That(_host.Server.Endpoints[2], Does.Contain(_host.Server.TlsFingerprint!));
        Assert.That(_host.Server.BaseUrl, Does.StartWith("http://"), "boot scripts keep pointing nodes at plain HTTP");
    }

    [Test]
    public async Task Https_LoginSetsASecureCookie_AndEveryAnswerCarriesHsts()
    {
        using var login = await _https.PostAsJsonAsync("/api/v1/session", new { password = ApiHost.Password });
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("baremetal_session=", StringComparison.Ordinal));
        Assert.That(cookie, Does.Contain("; secure").IgnoreCase.And.Contain("httponly").IgnoreCase);
        Assert.That(login.Headers.GetValues("Strict-Transport-Security"), Is.EqualTo(new[] { "max-age=31536000" }));
        using var missing = await _https.GetAsync("/api/v1/nodes");
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(missing.Headers.Contains("Strict-Transport-Security"), Is.True, "error answers carry HSTS too");
    }

    [TestCase("/api/v1/images")]
    [TestCase("/api/v1/events")]
    [TestCase("/")]
    [TestCase("/login?returnUrl=%2Fnodes")]
    [TestCase("/metrics")]
    [TestCase("/bootx")]
    public async Task Plain_GetOfAnythingButNodeRoutes_RedirectsToHttps(string path)
    {
        using var r = await _plain.GetAsync(path);
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.TemporaryRedirect));
        Assert.That(r.Headers.Location, Is.EqualTo(new Uri(_host.Server.HttpsAddress!, path)));
        Assert.That(r.Headers.Contains("Strict-Transport-Security"), Is.False);
    }

    [Test]
    public async Task Plain_PasswordOrTokenRequests_Are403_AndChangeNothing()
    {
        using var login = await _plain.PostAsJsonAsync("/api/v1/session", new { password = ApiHost.Password });
        await Problem.AssertAsync(login, HttpStatusCode.Forbidden, "serves nodes only");
        Assert.That(login.Headers.Contains("Set-Cookie"), Is.False);
        using var token = await _plain.PostAsJsonAsync("/api/v1/session/token", new { password = ApiHost.Password, name = "in clear" });
        Assert.That(token.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var add = await _plain.PostAsJsonAsync("/api/v1/nodes", new { mac = "52:54:00:00:11:22" });
        Assert.That(add.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var delete = await _plain.DeleteAsync("/api/v1/tokens/1");
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var tokenClient = await _host.CreateTokenAsyncOver(_https);
        using var list = await tokenClient.GetAsync("/api/v1/tokens");
        Assert.That(await list.Content.ReadAsStringAsync(), Does.Not.Contain("in clear"));
        tokenClient.Dispose();
    }

    [Test]
    public async Task Plain_NodeRoutes_StillAnswer()
    {
        Assert.That(await _plain.GetStringAsync("/healthz"), Is.EqualTo("ok\n"));
        using var script = await _plain.GetAsync("/boot/52-54-00-aa-bb-01.ipxe");
        Assert.That(script.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await script.Content.ReadAsStringAsync(), Does.StartWith("#!ipxe"));
        using var disk = await _plain.GetAsync("/disk/no-such-image");
        Assert.That(disk.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a disk route answers as a disk route, not with a redirect");
    }

    [Test]
    public async Task WithoutTls_ThePlainListenerServesEverything_AndSendsNoHsts()
    {
        await using var host = await ApiHost.StartAsync(testServer: false);
        using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = host.Server.HttpAddress };
        using var login = await plain.PostAsJsonAsync("/api/v1/session", new { password = ApiHost.Password });
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("baremetal_session=", StringComparison.Ordinal)), Does.Not.Contain("secure").IgnoreCase);
        Assert.That(login.Headers.Contains("Strict-Transport-Security"), Is.False);
        Assert.That(host.Server.HttpsAddress, Is.Null);
        Assert.That(host.Server.TlsFingerprint, Is.Null);
        Assert.That(Directory.Exists(Path.Combine(host.DataDirectory, "tls")), Is.False);
    }

    private static string Fingerprint(byte[] der) => string.Join(':', SHA256.HashData(der).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
}
