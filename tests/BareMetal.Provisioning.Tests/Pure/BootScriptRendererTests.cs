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
    public void LocalNode_BootsDriveZeroOrExits_AndDevirtStillWaits()
    {
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Local), null, "http://s"), Does.Contain("sanboot --no-describe --drive 0x80 || exit"));
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Local), null, "http://s"), Does.Contain("iseq ${platform} pcbios || goto efi").And.Contain(":efi\nchain --autofree /boot/local-boot.efi || exit"), "UEFI boots the local disk through the copier's boot mode");
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Devirt), Image(), "http://s"), Does.Contain("mode devirt is reserved"));
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Deploy), Image(), "http://s"), Does.Not.Contain("reserved"));
    }

    [Test]
    public void DeployNode_HooksTheReadOnlyImageAsDrive81_ChainsTheCopier_ThenReportsDoneOrFailed()
    {
        var script = BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Deploy), Image(), "http://10.0.0.1:8080/");
        const string b = "http://10.0.0.1:8080";
        var lines = script.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo("#!ipxe"));
            Assert.That(lines, Does.Contain("iseq ${platform} pcbios || goto efi"));
            Assert.That(lines, Does.Contain($"chain --autofree {b}/boot/deploy-copier.efi?bytes=1 || goto copy_failed"), "UEFI: the EFI copier");
            Assert.That(lines, Does.Contain($"chain --autofree {b}/boot/local-boot.efi || exit"), "UEFI, done but unanswered: the copier in boot mode");
            Assert.That(lines, Does.Contain($"sanhook --no-describe --drive 0x81 {b}/disk/deb.v3 || goto hook_failed"));
            Assert.That(lines, Does.Contain($"chain --autofree {b}/boot/deploy-copier.0?bytes=1 || goto copy_failed"));
            Assert.That(lines, Does.Contain($"chain --replace --autofree {b}/boot/{Mac}/deploy-done || goto done_unreachable"));
            Assert.That(lines, Does.Contain($"chain --replace --autofree {b}/boot/{Mac}/deploy-failed?reason=sanhook%20of%20the%20image%20failed"));
            Assert.That(lines.Count(l => l.StartsWith("sanunhook --drive 0x81", StringComparison.Ordinal)), Is.EqualTo(5), "before hooking (BIOS, UEFI), before booting locally (BIOS, UEFI), after a failed copy");
            Assert.That(script, Does.Not.Contain("@525400123456"), "not the node's overlay");
        });
        // Every goto has its label.
        foreach (var target in lines.Where(l => l.Contains("goto ", StringComparison.Ordinal)).Select(l => l[(l.LastIndexOf("goto ", StringComparison.Ordinal) + 5)..]))
        {
            Assert.That(lines, Does.Contain(":" + target), target);
        }
        Assert.That(BootScriptRenderer.Render(Mac, NodeWith(NodeMode.Deploy), Image(CatalogImageStatus.Missing), "http://s"), Does.Contain("is not available").And.Not.Contain("sanhook"));
    }

    [Test]
    public void DeployDone_UnhooksTheImage_AndBootsDrive80_OrOnUefiTheLocalBootApplication()
    {
        var script = BootScriptRenderer.BootLocalAfterDeploy(Mac);
        Assert.That(script, Does.Contain("sanunhook --drive 0x81 || goto unhooked\n:unhooked\niseq ${platform} pcbios || goto efi\nsanboot --no-describe --drive 0x80 || exit\n:efi\nchain --autofree /boot/local-boot.efi || exit"));
    }
}
