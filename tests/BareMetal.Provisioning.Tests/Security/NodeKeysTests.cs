using BareMetal.Provisioning.Core.Security;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Security;

public class NodeKeysTests
{
    private static readonly NodeKeys Keys = new(new byte[32]);

    [Test]
    public void Keys_AreStable_AndDifferPerNodeDeploymentAndPurpose()
    {
        var a = Keys.ExportKey("52:54:00:00:00:01", 1);
        Assert.That(Keys.ExportKey("52:54:00:00:00:01", 1), Is.EqualTo(a));
        var all = new[]
        {
            a, Keys.ExportKey("52:54:00:00:00:01", 2), Keys.ExportKey("52:54:00:00:00:02", 1),
            Keys.ChapSecret("52:54:00:00:00:01", 1), Keys.TargetChapSecret("52:54:00:00:00:01", 1),
            new NodeKeys(Enumerable.Repeat((byte)1, 32).ToArray()).ExportKey("52:54:00:00:00:01", 1),
        };
        Assert.That(all.Distinct().Count(), Is.EqualTo(all.Length));
        Assert.That(a, Has.Length.EqualTo(NodeKeys.ExportKeyLength).And.Match("^[a-z2-7]+$"));
        Assert.That(Keys.ChapSecret("52:54:00:00:00:01", 1), Has.Length.EqualTo(NodeKeys.ChapSecretLength).And.Match("^[a-z2-7]+$"));
    }

    [Test]
    public void Matches_OnlyTheSameKey()
    {
        var k = Keys.ExportKey("52:54:00:00:00:01", 1);
        Assert.That(NodeKeys.Matches(k, k), Is.True);
        Assert.That(NodeKeys.Matches(k[..^1], k), Is.False);
        Assert.That(NodeKeys.Matches(k.ToUpperInvariant(), k), Is.False);
        Assert.That(NodeKeys.Matches(null, k), Is.False);
        Assert.That(NodeKeys.Matches("", k), Is.False);
    }

    [Test]
    public void LoadOrCreate_MakesAPrivateKeyFileOnce_AndRefusesADamagedOne()
    {
        using var dir = new TempDir("bm-keys");
        var first = NodeKeys.LoadOrCreate(dir.Path);
        var path = Path.Combine(dir.Path, NodeKeys.FileName);
        Assert.That(File.ReadAllBytes(path), Has.Length.EqualTo(NodeKeys.ServerKeyBytes));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
        Assert.That(NodeKeys.LoadOrCreate(dir.Path).ExportKey("52:54:00:00:00:01", 1), Is.EqualTo(first.ExportKey("52:54:00:00:00:01", 1)), "the same key after a restart");
        File.WriteAllBytes(path, new byte[5]);
        var e = Assert.Throws<InvalidDataException>(() => NodeKeys.LoadOrCreate(dir.Path));
        Assert.That(e!.Message, Does.Contain("holds 5 bytes"));
    }
}
