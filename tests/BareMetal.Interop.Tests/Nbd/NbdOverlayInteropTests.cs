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

    [Test]
    public async Task Commit_ToQcow2_IsAStandaloneImageThatQemuImgFindsEqualToTheOverlay()
    {
        Prepare();
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var exports = Provider();
        await using var server = await NbdTestServer.StartAsync(exports);
        Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0xcd 5M 1M", "-c", "write -P 0xee 1050000 3000", "-c", "write -z 1M 4k", server.Uri("img@n4"));
        var golden = _dir.File("golden.qcow2");
        exports.Commit("img@n4", golden, BareMetal.ImageStore.Formats.ImageFormat.Qcow2);
        Peer.Check(qemuImg, "check", "-f", "qcow2", golden);
        Assert.That(Peer.Check(qemuImg, "info", "--output=json", golden), Does.Not.Contain("backing-filename"));
        // The overlay file (qcow2 over the raw base) read by qemu itself, against our committed image.
        var cmp = Peer.Run(qemuImg, ["compare", "-f", "qcow2", "-F", "qcow2", golden, exports.OverlayPath("img@n4")]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
    }

    [Test]
    public async Task NbdSh_FastZeroOnAnOverlay_SucceedsForWholeClustersOnly()
    {
        Prepare();
        Peer.Require("nbdsh", "python3-libnbd");
        using var exports = Provider();
        await using var server = await NbdTestServer.StartAsync(exports);
        // Whole 64 KiB clusters become zero flags in the overlay's L2 table (fast); a part of a cluster
        // over the base's data would need a zero buffer written, so FAST_ZERO fails with ENOTSUP at once.
        const string script = """
import errno
assert h.can_fast_zero()
h.zero(131072, 1048576, nbd.CMD_FLAG_FAST_ZERO)
assert h.pread(131072, 1048576) == bytes(131072)
try:
    h.zero(4096, 1048576 + 131072, nbd.CMD_FLAG_FAST_ZERO)
    raise AssertionError("partial-cluster FAST_ZERO succeeded")
except nbd.Error as e:
    assert e.errno == errno.errorcode[errno.ENOTSUP], e.errno
assert h.pread(4096, 1048576 + 131072) == b"\x5a" * 4096
h.zero(4096, 1048576 + 131072)
assert h.pread(4096, 1048576 + 131072) == bytes(4096)
print("ok")
""";
        var python = Peer.Find("/usr/bin/python3") ?? Peer.Require("python3", "python3");
        var r = Peer.Run(python, ["-m", "nbd", "-u", server.Uri("img@n5"), "-c", script], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(r.StdOut.Trim(), Is.EqualTo("ok"));
    }
}
