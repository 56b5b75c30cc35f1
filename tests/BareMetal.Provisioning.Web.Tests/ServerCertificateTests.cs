using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BareMetal.Provisioning.Web.Tls;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Web.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServerCertificateTests
{
    private static readonly string[] Names = ["localhost", "127.0.0.1", "::1", "boot.example"];

    [Test]
    public void SelfSigned_IsMadeOnce_KeptPrivate_AndReusedWithTheSameFingerprint()
    {
        using var dir = new TempDir("bm-cert");
        var tls = Path.Combine(dir.Path, "tls");
        var time = new ManualTime();
        string fingerprint;
        using (var first = ServerCertificate.LoadOrCreateSelfSigned(tls, Names, time))
        {
            Assert.That(first.Created, Is.True);
            Assert.That(first.SelfSigned, Is.True);
            Assert.That(first.Certificate.HasPrivateKey, Is.True);
            Assert.That(first.Certificate.GetECDsaPublicKey()!.KeySize, Is.EqualTo(256));
            Assert.That(ServerCertificate.SubjectAltNames(first.Certificate), Is.EquivalentTo(Names));
            Assert.That(first.Fingerprint, Is.EqualTo(Convert.ToHexString(SHA256.HashData(first.Certificate.RawData)).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b)));
            fingerprint = first.Fingerprint;
        }
        Assert.That(File.GetUnixFileMode(Path.Combine(tls, "key.pem")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.GetUnixFileMode(tls), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.That(Directory.GetFiles(tls).Select(Path.GetFileName), Is.EquivalentTo(new[] { "cert.pem", "key.pem" }));

        using var again = ServerCertificate.LoadOrCreateSelfSigned(tls, [.. Names, "10.0.0.1"], time);
        Assert.That(again.Created, Is.False);
        Assert.That(again.Fingerprint, Is.EqualTo(fingerprint));
        Assert.That(again.MissingNames, Is.EqualTo(new[] { "10.0.0.1" }));
    }

    [Test]
    public void SelfSigned_Expired_IsReplaced()
    {
        using var dir = new TempDir("bm-cert");
        var time = new ManualTime();
        using var first = ServerCertificate.LoadOrCreateSelfSigned(dir.Path, Names, time);
        time.Advance(ServerCertificate.SelfSignedLifetime + TimeSpan.FromDays(1));
        using var second = ServerCertificate.LoadOrCreateSelfSigned(dir.Path, Names, time);
        Assert.That(second.Created, Is.True);
        Assert.That(second.Fingerprint, Is.Not.EqualTo(first.Fingerprint));
    }

    [Test]
    public void SelfSigned_WithOnlyOneOfTheTwoFiles_IsRefused()
    {
        using var dir = new TempDir("bm-cert");
        using (ServerCertificate.LoadOrCreateSelfSigned(dir.Path, Names, new ManualTime()))
        {
        }
        File.Delete(Path.Combine(dir.Path, "key.pem"));
        var e = Assert.Throws<TlsCertificateException>(() => ServerCertificate.LoadOrCreateSelfSigned(dir.Path, Names, new ManualTime()));
        Assert.That(e!.Message, Does.Contain("has cert.pem but not key.pem"));
    }

    [Test]
    public void Load_OperatorsRsaCertificateWithChain_KeepsTheChain()
    {
        using var dir = new TempDir("bm-cert");
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var leaf = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), [1, 2, 3, 4]);
        var cert = dir.File("chain.pem");
        var key = dir.File("leaf.key");
        File.WriteAllText(cert, leaf.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n");
        File.WriteAllText(key, leafKey.ExportRSAPrivateKeyPem());
        using var loaded = ServerCertificate.Load(cert, key, TimeProvider.System);
        Assert.That(loaded.Certificate.Subject, Is.EqualTo("CN=localhost"));
        Assert.That(loaded.Certificate.HasPrivateKey, Is.True);
        Assert.That(loaded.Chain.Select(c => c.Subject), Is.EqualTo(new[] { "CN=Test CA" }));
        Assert.That(loaded.SelfSigned, Is.False);

        var late = new ManualTime();
        late.Advance(DateTimeOffset.UtcNow.AddDays(20) - late.GetUtcNow());
        var expired = Assert.Throws<TlsCertificateException>(() => ServerCertificate.Load(cert, key, late));
        Assert.That(expired!.Message, Does.StartWith($"--tls-cert {cert}: the certificate expired on "));
    }
}
