using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Serve;

/// <summary>
/// `baremetal serve --tls` with its self-signed certificate, against real clients: curl (trusting the
/// certificate, pinning its key, or neither), openssl (the fingerprint), the CLI as a separate process
/// (pinning, login, logout), and the plain-HTTP listener that only nodes may use.
/// </summary>
[NonParallelizable]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TlsServeTests
{
    private const string Password = "tls-test-password";
    private const string Mac = "52:54:00:7e:57:01";

    private TempDir _dir = null!;
    private ServeProcess _server = null!;
    private string _curl = null!;
    private int _http;
    private int _https;
    private string _fingerprint = null!;

    private string DataDirectory => Path.Combine(_dir.Path, "data");

    private string CertificatePath => Path.Combine(DataDirectory, "tls", "cert.pem");

    private string Https => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{_https}");

    private string Http => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{_http}");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _curl = Peer.Require("curl", "curl");
        _dir = new TempDir("bm-tls");
        Directory.CreateDirectory(Path.Combine(DataDirectory, "images"));
        // A stray raw file in data/images is exported as /disk/tiny: 'B' bytes from 1 MiB on.
        var disk = new byte[4 << 20];
        disk.AsSpan(1 << 20).Fill((byte)'B');
        await File.WriteAllBytesAsync(Path.Combine(DataDirectory, "images", "tiny.img"), disk);
        (_http, _https) = (ServeSmokeTests.FreeTcpPort(), ServeSmokeTests.FreeTcpPort());
        _server = await StartServeAsync(DataDirectory, _http, _https);
        _fingerprint = PrintedFingerprint(_server.Output);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _server?.Dispose();
        _dir?.Dispose();
    }

    [Test]
    public void Curl_TrustsTheSelfSignedCertificate_OnlyWhenGivenOrPinned()
    {
        var trusted = Peer.Run(_curl, ["-sS", "--cacert", CertificatePath, $"{Https}/healthz"], TimeSpan.FromSeconds(30));
        Assert.That(trusted.StdOut, Is.EqualTo("ok\n"), trusted.StdErr);
        // The same through the name "localhost", which the certificate also carries.
        var byName = Peer.Run(_curl, ["-sS", "--cacert", CertificatePath, $"https://localhost:{_https}/healthz"], TimeSpan.FromSeconds(30));
        Assert.That(byName.StdOut, Is.EqualTo("ok\n"), byName.StdErr);

        var untrusted = Peer.Run(_curl, ["-sS", $"{Https}/healthz"], TimeSpan.FromSeconds(30));
        Assert.That(untrusted.ExitCode, Is.EqualTo(60), "curl must refuse a certificate no CA signed: " + untrusted.StdErr);

        using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
        var pin = "sha256//" + Convert.ToBase64String(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
        var pinned = Peer.Run(_curl, ["-sS", "-k", "--pinnedpubkey", pin, $"{Https}/healthz"], TimeSpan.FromSeconds(30));
        Assert.That(pinned.StdOut, Is.EqualTo("ok\n"), pinned.StdErr);
        var wrongPin = Peer.Run(_curl, ["-sS", "-k", "--pinnedpubkey", "sha256//" + Convert.ToBase64String(new byte[32]), $"{Https}/healthz"], TimeSpan.FromSeconds(30));
        Assert.That(wrongPin.ExitCode, Is.EqualTo(90), wrongPin.StdErr);
    }

    [Test]
    public void PrintedFingerprint_IsWhatOpensslComputes()
    {
        var openssl = Peer.Require("openssl", "openssl");
        var r = Peer.Run(openssl, ["x509", "-in", CertificatePath, "-noout", "-fingerprint", "-sha256"], TimeSpan.FromSeconds(30));
        Assert.That(r.StdOut.Trim(), Is.EqualTo("sha256 Fingerprint=" + _fingerprint).Or.EqualTo("SHA256 Fingerprint=" + _fingerprint));
        var text = Peer.Run(openssl, ["x509", "-in", CertificatePath, "-noout", "-text"], TimeSpan.FromSeconds(30)).StdOut;
        Assert.That(text, Does.Contain("ASN1 OID: prime256v1").And.Contain("DNS:localhost").And.Contain("IP Address:127.0.0.1").And.Contain("IP Address:0:0:0:0:0:0:0:1"));
        Assert.That(File.GetUnixFileMode(Path.Combine(DataDirectory, "tls", "key.pem")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.GetUnixFileMode(Path.Combine(DataDirectory, "tls")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public void PlainListener_ServesBootScriptsAndDisks_AndRedirectsOrRefusesEverythingElse()
    {
        // The node is pinned at 127.0.0.1 once the login test has added it (its script), or not registered yet (the wait script): 200 either way.
        var script = Peer.Run(_curl, ["-sS", "-D", "-", $"{Http}/boot/{Mac.Replace(':', '-')}.ipxe"], TimeSpan.FromSeconds(30));
        Assert.That(script.StdOut, Does.StartWith("HTTP/1.1 200").And.Contain("#!ipxe"));
        Assert.That(script.StdOut, Does.Not.Contain("strict-transport-security").IgnoreCase, "HSTS belongs to the HTTPS console, not the node listener");
        var range = Peer.Run(_curl, ["-sS", "-r", "1048576-1048583", $"{Http}/disk/tiny", "-o", "-", "-w", " %{http_code}"], TimeSpan.FromSeconds(30));
        Assert.That(range.StdOut, Is.EqualTo("BBBBBBBB 206"));
        Assert.That(Peer.Run(_curl, ["-sS", $"{Http}/healthz"], TimeSpan.FromSeconds(30)).StdOut, Is.EqualTo("ok\n"));

        foreach (var path in new[] { "/api/v1/images?x=1", "/", "/Login", "/api/v1/events", "/metrics" })
        {
            var get = Peer.Run(_curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", Http + path], TimeSpan.FromSeconds(30));
            Assert.That(get.StdOut, Is.EqualTo($"307 {Https}{path}"), path);
        }
        var head = Peer.Run(_curl, ["-sS", "-I", "-o", "/dev/null", "-w", "%{http_code}", $"{Http}/api/v1/nodes"], TimeSpan.FromSeconds(30));
        Assert.That(head.StdOut, Is.EqualTo("307"));
        var login = Peer.Run(_curl, ["-sS", "-H", "Content-Type: application/json", "-d", $"{{\"password\":\"{Password}\"}}", "-w", " %{http_code}", "-D", "-", $"{Http}/api/v1/session"], TimeSpan.FromSeconds(30));
        Assert.That(login.StdOut, Does.Contain("HTTPS required").And.EndWith(" 403"));
        Assert.That(login.StdOut, Does.Not.Contain("set-cookie").IgnoreCase, "a password sent in clear must not earn a cookie");
        var token = Peer.Run(_curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json", "-d", $"{{\"password\":\"{Password}\",\"name\":\"clear\"}}", $"{Http}/api/v1/session/token"], TimeSpan.FromSeconds(30));
        Assert.That(token.StdOut, Is.EqualTo("403"));

        var overHttps = Peer.Run(_curl, ["-sS", "-D", "-", "-o", "/dev/null", "--cacert", CertificatePath, $"{Https}/Login"], TimeSpan.FromSeconds(30));
        Assert.That(overHttps.StdOut, Does.Contain("strict-transport-security: max-age=31536000").IgnoreCase);
        Assert.That(overHttps.StdOut, Does.Match("(?im)^set-cookie: .*; secure"));
    }

    [Test]
    public void Cli_PinsTheFingerprint_AndSaysWhatFailedWithoutIt()
    {
        using var home = new TempDir("bm-tls-cli");
        var token = CreateToken("pinning");
        var ok = CliProcess.Run(home.Path, ["image", "list", "--server", Https, "--token", token, "--fingerprint", _fingerprint]);
        Assert.That(ok.ExitCode, Is.EqualTo(0), ok.StdErr);
        Assert.That(ok.StdOut, Does.StartWith("NAME"));
        var plainHex = CliProcess.Run(home.Path, ["image", "list", "--server", Https, "--token", token, "--fingerprint", _fingerprint.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant()]);
        Assert.That(plainHex.ExitCode, Is.EqualTo(0), plainHex.StdErr);

        var unpinned = CliProcess.Run(home.Path, ["image", "list", "--server", Https, "--token", token]);
        Assert.That(unpinned.ExitCode, Is.EqualTo(2));
        Assert.That(unpinned.StdErr, Is.EqualTo($"baremetal: {Https}/: untrusted certificate: pass --fingerprint {_fingerprint} (compare it with what `baremetal serve` printed)\n"));

        var wrong = "AA" + _fingerprint[2..];
        var mismatch = CliProcess.Run(home.Path, ["image", "list", "--server", Https, "--token", token, "--fingerprint", wrong]);
        Assert.That(mismatch.ExitCode, Is.EqualTo(2));
        Assert.That(mismatch.StdErr, Is.EqualTo($"baremetal: {Https}/: certificate fingerprint mismatch: expected {wrong}, got {_fingerprint}\n"));

        var garbage = CliProcess.Run(home.Path, ["image", "list", "--server", Https, "--fingerprint", "12:34"]);
        Assert.That(garbage.ExitCode, Is.EqualTo(2));
        Assert.That(garbage.StdErr, Does.StartWith("baremetal: --fingerprint '12:34': expected a SHA-256 certificate fingerprint"));

        var plain = CliProcess.Run(home.Path, ["image", "list", "--server", Http, "--token", token]);
        Assert.That(plain.ExitCode, Is.EqualTo(2));
        Assert.That(plain.StdErr, Is.EqualTo($"baremetal: the server at {Http}/ redirects the API to {Https}: use --server {Https}\n"));
    }

    [Test]
    public void Login_StoresAPrivateToken_VerbsNeedNoFlags_LogoutRevokesIt()
    {
        using var home = new TempDir("bm-tls-login");
        var config = Path.Combine(home.Path, "baremetal", "config.json");
        var wrong = CliProcess.Run(home.Path, ["login", "--server", Https, "--fingerprint", _fingerprint], stdin: "not-the-password\n");
        Assert.That(wrong.ExitCode, Is.EqualTo(2));
        Assert.That(wrong.StdErr, Is.EqualTo($"baremetal: wrong password for {Https}; nothing stored\n"));
        Assert.That(File.Exists(config), Is.False);

        var login = CliProcess.Run(home.Path, ["login", "--server", Https, "--fingerprint", _fingerprint], stdin: Password + "\n");
        Assert.That(login.ExitCode, Is.EqualTo(0), login.StdErr);
        Assert.That(login.StdOut, Does.StartWith($"logged in to {Https} (certificate pinned)"));
        Assert.That(File.GetUnixFileMode(config), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(config)!), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        string token;
        using (var stored = JsonDocument.Parse(File.ReadAllText(config)))
        {
            Assert.That(stored.RootElement.GetProperty("server").GetString(), Is.EqualTo(Https));
            Assert.That(stored.RootElement.GetProperty("fingerprint").GetString(), Is.EqualTo(_fingerprint));
            token = stored.RootElement.GetProperty("token").GetString()!;
        }
        Assert.That(token, Does.StartWith("bm_"));

        var added = Peer.Run(_curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", CertificatePath, "-H", $"Authorization: Bearer {token}",
            "-H", "Content-Type: application/json", "-d", $"{{\"mac\":\"{Mac}\",\"ip\":\"127.0.0.1\"}}", $"{Https}/api/v1/nodes"], TimeSpan.FromSeconds(30));
        Assert.That(added.StdOut, Is.EqualTo("201").Or.EqualTo("409"));
        var nodes = CliProcess.Run(home.Path, ["node", "list"]);
        Assert.That(nodes.ExitCode, Is.EqualTo(0), nodes.StdErr);
        Assert.That(nodes.StdOut, Does.Contain(Mac));
        Assert.That(Status(token), Is.EqualTo("200"));

        var logout = CliProcess.Run(home.Path, ["logout"]);
        Assert.That(logout.ExitCode, Is.EqualTo(0), logout.StdErr);
        Assert.That(logout.StdOut, Does.StartWith($"logged out of {Https}: token revoked"));
        Assert.That(Status(token), Is.EqualTo("401"), "the server must refuse the revoked token");
        Assert.That(File.ReadAllText(config), Does.Not.Contain(token).And.Not.Contain("\"token\""));
        var after = CliProcess.Run(home.Path, ["node", "list"]);
        Assert.That(after.ExitCode, Is.EqualTo(2));
        Assert.That(after.StdErr, Does.Contain("401").And.Contain("baremetal login"));
    }

    [Test]
    public async Task Restart_KeepsTheSelfSignedCertificateAndItsFingerprint()
    {
        using var dir = new TempDir("bm-tls-restart");
        var (http, https) = (ServeSmokeTests.FreeTcpPort(), ServeSmokeTests.FreeTcpPort());
        string first;
        using (var server = await StartServeAsync(dir.Path, http, https))
        {
            first = PrintedFingerprint(server.Output);
            Assert.That(server.Output, Does.Contain("fingerprint (new): "));
            Assert.That(server.Stop(), Is.EqualTo(0));
        }
        using (var again = await StartServeAsync(dir.Path, http, https))
        {
            Assert.That(PrintedFingerprint(again.Output), Is.EqualTo(first));
            Assert.That(again.Output, Does.Not.Contain("(new)"));
            Assert.That(again.Stop(), Is.EqualTo(0));
        }
    }

    [Test]
    public async Task OperatorsOpensslCertificate_IsServed_AndTheCliTrustsItThroughTheTrustStore()
    {
        var openssl = Peer.Require("openssl", "openssl");
        using var dir = new TempDir("bm-tls-own");
        var cert = Path.Combine(dir.Path, "server.crt");
        var key = Path.Combine(dir.Path, "server.key");
        Peer.Check(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        var (http, https) = (ServeSmokeTests.FreeTcpPort(), ServeSmokeTests.FreeTcpPort());
        using var server = await StartServeAsync(Path.Combine(dir.Path, "data"), http, https, "--tls-cert", cert, "--tls-key", key);
        Assert.That(Directory.Exists(Path.Combine(dir.Path, "data", "tls")), Is.False, "given a certificate, serve makes none");
        var url = string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{https}");
        Assert.That(Peer.Run(_curl, ["-sS", "--cacert", cert, $"{url}/healthz"], TimeSpan.FromSeconds(30)).StdOut, Is.EqualTo("ok\n"));
        using var home = new TempDir("bm-tls-own-cli");
        // SSL_CERT_FILE replaces the system trust store for OpenSSL, which .NET uses on Linux: the CLI's
        // default path (no --fingerprint) then verifies the chain and the name.
        var trusted = CliProcess.Run(home.Path, ["login", "--server", url], stdin: Password + "\n", env: new Dictionary<string, string> { ["SSL_CERT_FILE"] = cert });
        Assert.That(trusted.ExitCode, Is.EqualTo(0), trusted.StdErr);
        Assert.That(trusted.StdOut, Does.StartWith($"logged in to {url}:"));
        var untrusted = CliProcess.Run(home.Path, ["node", "list"]);
        Assert.That(untrusted.StdErr, Does.Contain("untrusted certificate: pass --fingerprint"));
        Assert.That(server.Stop(), Is.EqualTo(0));
    }

    [TestCase("mismatched-key")]
    [TestCase("garbage-cert")]
    [TestCase("garbage-key")]
    [TestCase("directory-as-cert")]
    [TestCase("missing-cert")]
    public void BadCertificateOrKey_IsOneLineAtStart_Exit2_AndNothingListens(string kind)
    {
        using var dir = new TempDir("bm-tls-bad");
        var (certPem, keyPem) = SelfSigned();
        var (_, otherKey) = SelfSigned();
        var cert = Path.Combine(dir.Path, "cert.pem");
        var key = Path.Combine(dir.Path, "key.pem");
        File.WriteAllText(cert, kind == "garbage-cert" ? "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n" : certPem);
        File.WriteAllText(key, kind switch { "mismatched-key" => otherKey, "garbage-key" => "hello\n", _ => keyPem });
        var certArg = kind switch
        {
            "directory-as-cert" => dir.Path,
            "missing-cert" => Path.Combine(dir.Path, "nope.pem"),
            _ => cert,
        };
        var data = Path.Combine(dir.Path, "data");
        var port = ServeSmokeTests.FreeTcpPort();
        var r = Cli.RunManaged("serve", "--data", data, "--http", $"127.0.0.1:{port}", "--https", $"127.0.0.1:{ServeSmokeTests.FreeTcpPort()}",
            "--tftp", "off", "--nbd", "off", "--iscsi", "off", "--tls-cert", certArg, "--tls-key", key, "--admin-password", Password);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.StdOut + r.StdErr);
        Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1), r.StdErr);
        var expected = kind switch
        {
            "mismatched-key" => $"baremetal: cannot start: --tls-key {key} does not match the certificate in {cert}",
            "garbage-cert" => $"baremetal: cannot start: --tls-cert {cert}: not a PEM certificate",
            "garbage-key" => $"baremetal: cannot start: --tls-key {key}: no PEM private key in it",
            "directory-as-cert" => $"baremetal: cannot start: --tls-cert {dir.Path}: cannot read it",
            _ => $"baremetal: cannot start: --tls-cert {certArg}: cannot read it",
        };
        Assert.That(r.StdErr, Does.StartWith(expected));
        Assert.That(r.StdOut, Does.Not.Contain("serving from"));
        // The certificate is checked before anything else: no data directory, no catalog, no port taken.
        Assert.That(Directory.Exists(data), Is.False);
    }

    private static (string Cert, string Key) SelfSigned()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", ec, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (cert.ExportCertificatePem(), ec.ExportPkcs8PrivateKeyPem());
    }

    private static async Task<ServeProcess> StartServeAsync(string data, int http, int https, params string[] extra)
    {
        var args = new[]
        {
            "--tls", "--http", $"127.0.0.1:{http}", "--https", $"127.0.0.1:{https}", "--tftp", "off", "--nbd", "off", "--iscsi", "off",
            "--admin-password", Password,
        }.Concat(extra).ToArray();
        var server = ServeProcess.Start(data, args);
        await server.WaitForOutputAsync("press Ctrl-C");
        return server;
    }

    private static string PrintedFingerprint(string output)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("baremetal: TLS certificate SHA-256 fingerprint", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, output);
        return line![(line.LastIndexOf(' ') + 1)..].Trim();
    }

    /// <summary>An API token made through the login route over HTTPS, with curl trusting the certificate.</summary>
    private string CreateToken(string name)
    {
        var r = Peer.Run(_curl, ["-sS", "--cacert", CertificatePath, "-H", "Content-Type: application/json",
            "-d", $"{{\"password\":\"{Password}\",\"name\":\"{name}\"}}", $"{Https}/api/v1/session/token"], TimeSpan.FromSeconds(30));
        using var doc = JsonDocument.Parse(r.StdOut);
        return doc.RootElement.GetProperty("token").GetString()!;
    }

    private string Status(string token) =>
        Peer.Run(_curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", CertificatePath, "-H", $"Authorization: Bearer {token}", $"{Https}/api/v1/nodes"], TimeSpan.FromSeconds(30)).StdOut;
}
