using BareMetal.Cli;
using BareMetal.ImageStore.Cli;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// Where an API verb goes and what it sends: flag, else environment, else the login config, whose token
/// and fingerprint are never sent to another server. The environment is process-wide, so one at a time.
/// </summary>
[NonParallelizable]
public sealed class ServerTargetTests
{
    private const string Pin = "F9:85:B7:8F:23:31:F7:FE:E3:FB:10:C4:71:03:BF:A6:95:6F:A5:14:C6:E5:33:A5:FE:77:B0:04:82:27:94:67";
    private static readonly string[] Variables = [ServerTarget.ServerVariable, ServerTarget.TokenVariable, ServerTarget.FingerprintVariable];
    private static readonly CliConfig Stored = new("https://bm.example:8443", Pin, "bm_stored", 7);
    private readonly Dictionary<string, string?> _saved = [];

    [SetUp]
    public void ClearEnvironment()
    {
        foreach (var v in Variables)
        {
            _saved[v] = Environment.GetEnvironmentVariable(v);
            Environment.SetEnvironmentVariable(v, null);
        }
    }

    [TearDown]
    public void RestoreEnvironment()
    {
        foreach (var (k, v) in _saved)
        {
            Environment.SetEnvironmentVariable(k, v);
        }
    }

    [Test]
    public void NoFlags_UseTheStoredServerTokenAndFingerprint()
    {
        Assert.That(ServerTarget.Resolve(null, null, null, () => Stored), Is.EqualTo(new ServerTarget("https://bm.example:8443", "bm_stored", Pin)));
    }

    [Test]
    public void NothingStored_IsTheDefaultServer_WithNoToken()
    {
        Assert.That(ServerTarget.Resolve(null, null, null, () => new CliConfig()), Is.EqualTo(new ServerTarget("http://127.0.0.1:8080", null, null)));
    }

    [Test]
    public void AnotherServer_NeverGetsTheStoredTokenOrFingerprint()
    {
        Assert.That(ServerTarget.Resolve("https://other.example:8443", null, null, () => Stored), Is.EqualTo(new ServerTarget("https://other.example:8443", null, null)));
        // The same server spelled with a trailing slash and upper-case host is the same server.
        Assert.That(ServerTarget.Resolve("https://BM.example:8443/", null, null, () => Stored).Token, Is.EqualTo("bm_stored"));
    }

    [Test]
    public void Environment_BeatsTheConfig_AndFlags_BeatTheEnvironment()
    {
        Environment.SetEnvironmentVariable(ServerTarget.TokenVariable, "bm_env");
        Assert.That(ServerTarget.Resolve(null, null, null, () => Stored).Token, Is.EqualTo("bm_env"));
        Assert.That(ServerTarget.Resolve(null, "bm_flag", null, () => Stored).Token, Is.EqualTo("bm_flag"));
        Environment.SetEnvironmentVariable(ServerTarget.ServerVariable, "https://env.example");
        Assert.That(ServerTarget.Resolve(null, null, null, () => Stored), Is.EqualTo(new ServerTarget("https://env.example", "bm_env", null)));
        Assert.That(ServerTarget.Resolve("https://bm.example:8443", null, null, () => Stored).Server, Is.EqualTo("https://bm.example:8443"));
    }

    [Test]
    public void AllGivenByFlags_TheConfigIsNotRead()
    {
        var target = ServerTarget.Resolve("https://x.example", "bm_t", Pin, () => throw new CliException("config read"));
        Assert.That(target, Is.EqualTo(new ServerTarget("https://x.example", "bm_t", Pin)));
    }

    [TestCase("f985b78f2331f7fee3fb10c47103bfa6956fa514c6e533a5fe77b00482279467")]
    [TestCase("F9:85:B7:8F:23:31:F7:FE:E3:FB:10:C4:71:03:BF:A6:95:6F:A5:14:C6:E5:33:A5:FE:77:B0:04:82:27:94:67")]
    [TestCase(" f9:85:b7:8f:23:31:f7:fe:e3:fb:10:c4:71:03:bf:a6:95:6f:a5:14:c6:e5:33:a5:fe:77:b0:04:82:27:94:67 ")]
    public void Fingerprint_IsTakenWithOrWithoutColons_InAnyCase(string text)
    {
        Assert.That(Fingerprints.Parse(text, "--fingerprint"), Is.EqualTo(Pin));
    }

    [TestCase("12:34")]
    [TestCase("zz85b78f2331f7fee3fb10c47103bfa6956fa514c6e533a5fe77b00482279467")]
    [TestCase("")]
    public void Fingerprint_Malformed_SaysWhatOneLooksLike(string text)
    {
        var e = Assert.Throws<CliException>(() => ServerTarget.Resolve("https://x.example", null, text, () => new CliConfig()));
        Assert.That(e!.Message, Does.StartWith($"--fingerprint '{text}': expected a SHA-256 certificate fingerprint, 64 hex digits"));
    }

    [Test]
    public void Fingerprint_WithAPlainHttpServer_IsRefused()
    {
        var e = Assert.Throws<CliException>(() => ServerTarget.Resolve("http://127.0.0.1:8080", null, Pin, () => new CliConfig()));
        Assert.That(e!.Message, Does.Contain("plain HTTP has no certificate"));
    }

    [TestCase("ftp://x")]
    [TestCase("not a url")]
    public void Server_NotHttp_IsRefused(string server)
    {
        var e = Assert.Throws<CliException>(() => ServerTarget.Resolve(server, null, null, () => new CliConfig()));
        Assert.That(e!.Message, Is.EqualTo($"--server '{server}': expected an http:// or https:// URL"));
    }
}
