using BareMetal.ImageStore.Nbd.Exports;

namespace BareMetal.ImageStore.Nbd.Tests.Exports;

public class ExportNameTests
{
    [TestCase("debian", "debian", null, null, "debian", null)]
    [TestCase("debian.v3", "debian.v3", null, null, "debian", 3)]
    [TestCase("debian.v3@525400123456", "debian.v3", "525400123456", null, "debian", 3)]
    [TestCase("debian.v3@525400123456~abc-DEF_2", "debian.v3", "525400123456", "abc-DEF_2", "debian", 3)]
    [TestCase("my.vm_v2-x@node-a", "my.vm_v2-x", "node-a", null, "my.vm_v2-x", null)]
    [TestCase("v.v12", "v.v12", null, null, "v", 12)]
    [TestCase("x.v", "x.v", null, null, "x.v", null)]
    [TestCase("x.v3a", "x.v3a", null, null, "x.v3a", null)]
    public void Parse_SplitsBaseNodeKeyAndVersion(string text, string @base, string? node, string? key, string image, int? version)
    {
        var n = ExportName.Parse(text);
        Assert.That((n.Base, n.Node, n.Key, n.ImageName, n.Version), Is.EqualTo((@base, node, key, image, version)));
        Assert.That(n.Canonical, Is.EqualTo(node is null ? @base : $"{@base}@{node}"));
        Assert.That(n.ToString(), Does.Not.Contain("~"), "the key is never in the printed name");
    }

    [TestCase("", "empty")]
    [TestCase("~key", "only follows a node")]
    [TestCase("a~key@node", "only follows a node")]
    [TestCase("a@node~", "the key must be")]
    [TestCase("a@node~k/y", "the key must be")]
    [TestCase("a@node~k@y", "the key must be")]
    [TestCase("../etc@x", "image name")]
    [TestCase(".hidden", "image name")]
    [TestCase("a b", "image name")]
    [TestCase("a@", "node identity")]
    [TestCase("a@.x", "node identity")]
    [TestCase("a@b@c", "node identity")]
    [TestCase("a@n/../x", "node identity")]
    public void Parse_Refuses_WithTheReason(string text, string reason)
    {
        Assert.That(ExportName.TryParse(text, out _, out var why), Is.False);
        Assert.That(why, Does.Contain(reason));
        Assert.Throws<FormatException>(() => ExportName.Parse(text));
    }

    [Test]
    public void Parse_RefusesNamesLongerThanTheLimit() =>
        Assert.That(ExportName.TryParse(new string('a', ExportName.MaxLength + 1), out _), Is.False);

    [Test]
    public void ForNode_FormatsWhatParseReads()
    {
        var n = ExportName.ForNode("debian.v3", "525400123456", "k3y");
        Assert.That(ExportName.Parse("debian.v3@525400123456~k3y"), Is.EqualTo(n));
        Assert.That(ExportName.ForNode("debian", "525400123456").Key, Is.Null);
    }
}
