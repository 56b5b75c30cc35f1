using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Formats;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Pxe.Dhcp.Policy;

namespace BareMetal.Provisioning.Tests.Pure;

public class BootScriptRendererTests
{
    private const string Mac = "52:54:00:12:34:56";
    private static readonly DateTimeOffset T = DateTimeOffset.UnixEpoch;

    private static Node NodeWith(NodeMode mode, string? image = "deb", int? version = null) =>
        new(Mac, null, null, null, FirmwareKind.Ipxe, null, T, T, image, version, mode, NodeOrigin.Auto);

    private static CatalogImage Image(CatalogImageStatus status = CatalogImageStatus.Ready) =>
        new(1, "deb", 3, ImageFormat.Qcow2, "00", 1, 1, 1, 65536, [], "", "", "images/deb.v3.qcow2", T, status);

    [Test]
    public void UnknownOrUnassignedNode_GetsTheWaitAndRetryScript_WithTheExistingMarker()
    {
        foreach (var script in new[] { BootScriptRenderer.Render(Mac, null, null, "http://s:8080/"), BootScriptRenderer.Render(Mac, NodeWith(NodeMode.None), null, "http://s:8080") })
        {
            Assert.That(script, Does.StartWith("#!ipxe\n"));
            Assert.That(script, Does.Contain($"BareMetal: node {Mac} is not assigned yet; asking again in 10 s"));
            Assert.That(script, Does.Contain("chain --autofree http://s:8080/boot/${mac}.ipxe"));
        }
    }

    [Test]
    public void StreamNode_SanbootsItsOverlayOfTheResolvedVersion()
    {
        var script = BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Stream), Image(), "http://10.0.0.1:8080");
        Assert.That(script, Does.Contain("sanboot --no-describe http://10.0.0.1:8080/disk/deb.v3@525400123456\n"));
    }

    [Test]
    public void StreamNode_OverIscsi_SanbootsItsOverlaysTarget_WithAnIqnLegalName()
    {
        var portal = new IscsiPortal("10.0.0.1", 3260, "iqn.2026-11.dev.baremetal:");
        var script = BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Stream), Image(), "http://10.0.0.1:8080", portal);
        Assert.That(script, Does.Contain("sanboot --no-describe iscsi:10.0.0.1::3260:0:iqn.2026-11.dev.baremetal:deb.v3:525400123456\n"));
        Assert.That(script, Does.Not.Contain("@").And.Not.Contain("/disk/"));
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Local), null, "http://s", portal), Does.Contain("--drive 0x80"), "only stream mode reads a SAN disk");
    }

    [Test]
    public void StreamNode_WhoseImageIsGoneOrMissing_WaitsAndSaysWhy()
    {
        var gone = BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Stream, version: 2), null, "http://s");
        var missing = BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Stream), Image(CatalogImageStatus.Missing), "http://s");
        Assert.That(gone, Does.Contain("image deb.v2 is not available").And.Contain("chain --replace --autofree http://s/boot/${mac}.ipxe"));
        Assert.That(missing, Does.Contain("image deb (latest) is not available").And.Not.Contain("sanboot"));
    }

    [Test]
    public void LocalNode_BootsDriveZeroOrExits_AndReservedModesWait()
    {
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Local), null, "http://s"), Does.Contain("sanboot --no-describe --drive 0x80 || exit"));
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Deploy), Image(), "http://s"), Does.Contain("mode deploy is reserved"));
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Devirt), Image(), "http://s"), Does.Contain("mode devirt is reserved"));
    }
}
