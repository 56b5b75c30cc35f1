using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Playwright;

namespace BareMetal.Browser.Tests;

/// <summary>
/// The console under `serve --tls` in Debian's chromium, which trusts the server's self-signed
/// certificate only by its public key (--ignore-certificate-errors-spki-list: a pin, not "ignore all
/// errors"): the plain listener sends the browser to HTTPS, the login works there, the session cookie
/// is Secure and HttpOnly, HSTS is sent on the console and not on the node listener. (That a Secure cookie
/// stays off plain HTTP cannot be seen here: chromium counts loopback as a secure origin and sends
/// Secure cookies to http://127.0.0.1; the plain listener gives a cookie nothing to open anyway.)
/// </summary>
[TestFixture]
public sealed class ConsoleTlsBrowserTests
{
    private const string Password = "correct horse battery staple";

    private ConsoleServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await ConsoleServer.StartAsync(Password, [], tls: true);
        using var cert = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(_server.Server.TlsCertificatePath!));
        var spki = Convert.ToBase64String(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
        (_playwright, _browser) = await Browser.LaunchAsync($"--ignore-certificate-errors-spki-list={spki}");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Test]
    public async Task Login_OverHttps_SetsASecureCookie_AndSendsHstsOnTheConsoleOnly()
    {
        var https = _server.ConsoleUrl;
        Assert.That(https, Does.StartWith("https://127.0.0.1:"));
        await using var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();

        // The address an operator might type: the plain listener, which nodes use.
        await page.GotoAsync(_server.BaseUrl + "/nodes");
        Assert.That(page.Url, Does.StartWith(https + "/login"), "the plain listener must send the browser to the HTTPS console");

        await page.GetByLabel("Admin password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(https + "/nodes");

        var session = (await context.CookiesAsync()).Single(c => c.Name == "baremetal_session");
        Assert.That(session.Secure, Is.True, "the session cookie must be Secure under TLS");
        Assert.That(session.HttpOnly, Is.True);
        Assert.That((await context.CookiesAsync()).Where(c => c.Name.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal)).Select(c => c.Secure), Is.All.True);

        var dashboard = await page.GotoAsync(https + "/");
        Assert.That(dashboard!.Status, Is.EqualTo(200));
        var headers = await dashboard.AllHeadersAsync();
        Assert.That(headers.TryGetValue("strict-transport-security", out var hsts) ? hsts : null, Is.EqualTo("max-age=31536000"));
        Assert.That(await page.TitleAsync(), Is.Not.Empty);

        var plain = await page.GotoAsync(_server.BaseUrl + "/healthz");
        Assert.That(plain!.Status, Is.EqualTo(200));
        Assert.That((await plain.AllHeadersAsync()).ContainsKey("strict-transport-security"), Is.False);
    }
}
