using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Nbd;

/// <summary>Per-client copy-on-write overlays (qcow2 over the base) through real clients.</summary>
public class NbdOverlayInteropTests
{
    private TempDir _dir = null!;
    private string _base = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir();
    }

    private void Prepare()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        _base = _dir.File("base.raw");
        Peer.Check(qemuImg, "create", "-f", "raw", _base, "32M");
        Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0x5a 1M 192k", _base);
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private OverlayExportProvider Provider()
    {
        var p = new OverlayExportProvider(_dir.File("overlays"));
        p.AddBase("img", _base, "base image");
        return p;
    }

    [Test]
    public async Task QemuIo_WritesThroughOverlay_SurviveRestart_AndBaseIsNeverWritten()
    {
        Prepare();
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var baseHash = Hash.Sha256File(_base);
        const string node = "img@node-aa-bb-cc";
        using (var exports = Provider())
        {
            await using var server = await NbdTestServer.StartAsync(exports);
            Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0xab 2M 64k", "-c", "write -z 1M 4k", "-c", "flush", server.Uri(node));
        }
        using (var exports = Provider())
        {
            await using var server = await NbdTestServer.StartAsync(exports);
            var r = Peer.Check(qemuIo, "-f", "raw", "-c", "read -P 0xab 2M 64k", "-c", "read -P 0 1M 4k", "-c", "read -P 0x5a 1052672 4k", server.Uri(node));
            Assert.That(r, Does.Not.Contain("Pattern verification failed"));
            // Another node and the base itself still see the untouched base.
            var other = Peer.Check(qemuIo, "-f", "raw", "-c", "read -P 0x5a 1M 4k", server.Uri("img@node-dd-ee-ff"));
            Assert.That(other, Does.Not.Contain("Pattern verification failed"));
            // qemu-img reads our overlay file directly, through its backing file.
            var cmp = Peer.Run(qemuImg, ["compare", "-F", "raw", exports.OverlayPath(node), server.Uri(node)]);
            Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
        }
        Assert.That(Hash.Sha256File(_base), Is.EqualTo(baseHash));
    }

    [Test]
    public async Task Reset_DiscardsTheClientsWrites()
    {
        Prepare();
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        using var exports = Provider();
        await using var server = await NbdTestServer.StartAsync(exports);
        Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0xab 1M 4k", server.Uri("img@n1"));
        Assert.That(exports.Reset("img@n1"), Is.True);
        var r = Peer.Check(qemuIo, "-f", "raw", "-c", "read -P 0x5a 1M 4k", server.Uri("img@n1"));
        Assert.That(r, Does.Not.Contain("Pattern verification failed"));
    }

    [Test]
    public async Task Commit_FlattensOverlayAndBaseIntoANewImage()
    {
        Prepare();
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var exports = Provider();
        await using var server = await NbdTestServer.StartAsync(exports);
        Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0xcd 5M 1M", server.Uri("img@n2"));
        exports.Commit("img@n2", _dir.File("golden.raw"));
        var cmp = Peer.Run(qemuImg, ["compare", "-f", "raw", "-F", "raw", _dir.File("golden.raw"), server.Uri("img@n2")]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
    }
}
