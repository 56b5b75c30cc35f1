using BareMetal.Provisioning.Power.Secrets;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Power.Tests.Secrets;

public class CredentialProtectorTests
{
    [Test]
    public void FirstUse_CreatesA0600Key_AndValuesRoundTripAcrossReopen()
    {
        using var dir = new TempDir("cred");
        var first = CredentialProtector.OpenOrCreate(dir.Path);
        var key = dir.File(CredentialProtector.KeyFileName);
        Assert.That(new FileInfo(key).Length, Is.EqualTo(32));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(key), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
        var sealedValue = first.Protect("hunter2-bmc", "52:54:00:12:34:56");
        Assert.That(sealedValue, Does.StartWith("bm1:").And.Not.Contain("hunter2"));
        var reopened = CredentialProtector.OpenOrCreate(dir.Path);
        Assert.That(reopened.Unprotect(sealedValue, "52:54:00:12:34:56"), Is.EqualTo("hunter2-bmc"));
    }

    [Test]
    public void EachValue_GetsItsOwnNonce()
    {
        var p = new CredentialProtector(new byte[32]);
        var a = p.Protect("same");
        var b = p.Protect("same");
        Assert.That(a, Is.Not.EqualTo(b));
    }

    [Test]
    public void TamperedValue_IsRefused()
    {
        var p = new CredentialProtector(new byte[32]);
        var bytes = Convert.FromBase64String(p.Protect("secret")[4..]);
        for (var i = 1; i < bytes.Length; i++)
        {
            var t = (byte[])bytes.Clone();
            t[i] ^= 0x01;
            Assert.Throws<CredentialProtectionException>(() => p.Unprotect("bm1:" + Convert.ToBase64String(t)), $"byte {i}");
        }
    }

    [Test]
    public void WrongKey_OrAnotherRecordsValue_IsRefused()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var sealedValue = new CredentialProtector(key).Protect("secret", "node-a");
        key[0] ^= 1;
        Assert.Throws<CredentialProtectionException>(() => new CredentialProtector(key).Unprotect(sealedValue, "node-a"));
        key[0] ^= 1;
        var e = Assert.Throws<CredentialProtectionException>(() => new CredentialProtector(key).Unprotect(sealedValue, "node-b"))!;
        Assert.That(e.Message, Does.Contain("another record"));
    }

    [TestCase("plain-text")]
    [TestCase("bm1:%%%")]
    [TestCase("bm1:AAAA")]
    [TestCase("bm1:AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void MalformedOrFutureEnvelopes_AreRefusedClearly(string value) =>
        Assert.Throws<CredentialProtectionException>(() => new CredentialProtector(new byte[32]).Unprotect(value));

    [Test]
    public void AKeyFileReadableByOthers_IsRefused()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        using var dir = new TempDir("cred");
        CredentialProtector.OpenOrCreate(dir.Path);
        File.SetUnixFileMode(dir.File(CredentialProtector.KeyFileName), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var e = Assert.Throws<CredentialProtectionException>(() => CredentialProtector.OpenOrCreate(dir.Path))!;
        Assert.That(e.Message, Does.Contain("chmod 600"));
    }
}
