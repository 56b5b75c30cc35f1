using System.Net;
using BareMetal.Provisioning.Core;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>
/// `serve` without --dhcp starts DHCP from the console's settings (dhcp.mode, dhcp.interface, dhcp.range),
/// and a boot-file setting saved while it runs reaches the next answer: busybox udhcpc, a real client, in a
/// network namespace against the whole server on the host end of a veth pair.
/// </summary>
[NonParallelizable]
public class DhcpFromSettingsTests
{
    [Test]
    public async Task FullModeFromSettings_LeasesFromTheSavedRange_AndASavedBootFileIsHeardWithoutARestart()
    {
        Peer.Require("busybox", "busybox");
        using var ns = NetworkNamespace.CreateWithVeth();
        using var data = new TempDir("dhcp-settings");
        await using (var db = await ProvisioningDatabase.OpenAsync(data.Path, null, new ProvisioningOptions { PasswordIterations = 1000 }))
        {
            await db.Settings.SetAsync(SettingKeys.DhcpMode, "full");
            await db.Settings.SetAsync(SettingKeys.DhcpInterface, ns.HostInterface);
            await db.Settings.SetAsync(SettingKeys.DhcpRange, $"10.213.{ns.Subnet}.150-10.213.{ns.Subnet}.151");
        }
        await using var server = new BareMetalServer(NamespaceServe.Options(ns, data.Path, "settings-test-password") with { DhcpFromSettings = true });
        await server.StartAsync(CancellationToken.None);
        Assert.That(server.Endpoints, Has.Some.StartsWith($"dhcp  full on {ns.HostInterface} ({ns.HostAddress})").And.EndsWith("(from settings)"),
            string.Join("\n", server.Endpoints));

        var first = PxeLease(ns, data, "first");
        Assert.That(first["ip"], Is.AnyOf($"10.213.{ns.Subnet}.150", $"10.213.{ns.Subnet}.151"), "an address from the saved range");
        Assert.That(first["bootfile"], Is.EqualTo("undionly.kpxe"), "the default BIOS boot file");

        await server.Database.Settings.SetAsync(SettingKeys.BootFileBios, "custom.kpxe");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        Dictionary<string, string> second;
        do
        {
            // The policy re-reads on the change feed; a DISCOVER racing the re-read may still get the old file.
            second = PxeLease(ns, data, "second");
        }
        while (second["bootfile"] != "custom.kpxe" && DateTime.UtcNow < deadline);
        Assert.That(second["bootfile"], Is.EqualTo("custom.kpxe"), "a boot file saved while serving applies without a restart");
    }

    /// <summary>One PXE-looking udhcpc run (BIOS arch, PXEClient vendor class); the lease's environment.</summary>
    private static Dictionary<string, string> PxeLease(NetworkNamespace ns, TempDir dir, string tag) =>
        Udhcpc.Lease(ns, dir, tag, null, "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000", "-O", "bootfile");
}
