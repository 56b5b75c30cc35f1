using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Interop.Tests.Nbd;
using BareMetal.Provisioning.Core;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Catalog;

/// <summary>
/// A qcow2 delta made by qemu-img on a catalog image, as a qemu user makes one: imported, exported over
/// NBD, and with a node overlay on top (a 3-deep chain) that qemu-img still reads. SQLite only: both
/// backends are covered by the catalog's unit tests; this is about the bytes.
/// </summary>
public class CatalogChainInteropTests
{
    [Test]
    public async Task QemuDelta_OnCatalogBase_ImportsAndReadsOverNbdLikeQemuImgConvert_AlsoUnderANodeOverlay()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data");
        var src = Path.Combine(dir.Path, "src");
        Directory.CreateDirectory(src);
        await using var db = await ProvisioningDatabase.OpenAsync(data, null, new ProvisioningOptions { PasswordIterations = 1000 });

        var basePath = Path.Combine(src, "base.qcow2");
        Peer.Check(qemuImg, "create", "-f", "qcow2", basePath, "16M");
        Peer.Check(qemuIo, "-f", "qcow2", "-c", "write -P 0x5a 0 2M", "-c", "write -P 0x33 8M 64k", basePath);
        var baseImage = await db.Catalog.ImportFileAsync(basePath, new ImageImportRequest("base"));
        Assert.That(baseImage.RelativePath, Is.EqualTo("images/base.v1.qcow2"));

        // qemu-img opens the backing file when it creates the delta, so it is made next to a copy under the catalog's name.
        File.Copy(db.Catalog.GetFullPath(baseImage), Path.Combine(src, "base.v1.qcow2"));
        var deltaPath = Path.Combine(src, "delta.qcow2");
        Peer.Check(qemuImg, "create", "-f", "qcow2", "-b", "base.v1.qcow2", "-F", "qcow2", deltaPath);
        Peer.Check(qemuIo, "-f", "qcow2", "-c", "write -P 0xab 1M 128k", "-c", "write -z 8M 4k", deltaPath);
        var delta = await db.Catalog.ImportFileAsync(deltaPath, new ImageImportRequest("delta"));
        Assert.That(delta.BackingChain, Is.EqualTo(new[] { "images/base.v1.qcow2" }));

        var stored = db.Catalog.GetFullPath(delta);
        var qemuRaw = Path.Combine(dir.Path, "qemu.raw");
        Peer.Check(qemuImg, "convert", "-f", "qcow2", "-O", "raw", stored, qemuRaw);

        using var exports = new OverlayExportProvider(Path.Combine(data, "overlays"));
        exports.AddBase(delta.ExportName, stored);
        await using var server = await NbdTestServer.StartAsync(exports);
        var nbdRaw = Path.Combine(dir.Path, "nbd.raw");
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "raw", server.Uri(delta.ExportName), nbdRaw);
        Assert.That(Hash.Sha256File(nbdRaw), Is.EqualTo(Hash.Sha256File(qemuRaw)), "NBD read of the delta = qemu-img convert of it");

        // A node's overlay: overlay -> delta -> base. The node writes; qemu-img reads the 3-deep file chain.
        const string node = "delta.v1@node-aa";
        Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0xcd 4M 64k", "-c", "flush", server.Uri(node));
        var info = Peer.Check(qemuImg, "info", "--backing-chain", exports.OverlayPath(node));
        Assert.That(info, Does.Contain("base.v1.qcow2").And.Contain("delta.v1.qcow2"));
        var cmp = Peer.Run(qemuImg, ["compare", "-f", "qcow2", "-F", "raw", exports.OverlayPath(node), server.Uri(node)]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
        var read = Peer.Check(qemuIo, "-f", "qcow2", "-r", "-c", "read -P 0xcd 4M 64k", "-c", "read -P 0xab 1M 128k", "-c", "read -P 0x5a 0 1M", "-c", "read -P 0 8M 4k",
            "-c", "read -P 0x33 8392704 4k", exports.OverlayPath(node));
        Assert.That(read, Does.Not.Contain("Pattern verification failed"));
    }
}
