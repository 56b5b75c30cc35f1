using System.Net;
using BareMetal.Provisioning.Core;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Provisioning.Web;
using BareMetal.Provisioning.Web.Hosting;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;
using BareMetal.TestSupport;
using Microsoft.AspNetCore.TestHost;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>The console's network-boot settings reach DHCP: boot files at once, the DHCP mode at start.</summary>
public sealed class BootPolicySettingsTests
{
    private static BootRequest Uefi(string mac = "52:54:00:00:10:01") =>
        new(mac, ClientArchitecture.EfiX64, [], "PXEClient:Arch:00007:UNDI:003016", null, false, IPAddress.Parse("10.0.0.1"));

    private static BootRequest Bios() =>
        new("52:54:00:00:10:02", ClientArchitecture.IntelX86Pc, [], "PXEClient:Arch:00000:UNDI:002001", null, false, IPAddress.Parse("10.0.0.1"));

    [Test]
    public async Task BootFileSetting_AppliesToTheNextAnswer_WithoutARestart_AndRemovingItRestoresTheDefault()
    {
        using var dir = new TempDir("bm-policy");
        await using var db = await ProvisioningDatabase.OpenAsync(dir.Path, null, new ProvisioningOptions { PasswordIterations = 1000 });
        await db.Settings.SetAsync(SettingKeys.BootFileBios, "custom.kpxe");
        await using var policy = new SettingsBootPolicy(db.Settings, new DefaultBootPolicyOptions());
        await policy.StartAsync(db.Events, CancellationToken.None);
        Assert.That(policy.Decide(Bios())?.BootFile, Is.EqualTo("custom.kpxe"), "read at start");
        Assert.That(policy.Decide(Uefi())?.BootFile, Is.EqualTo("ipxe.efi"), "unset keeps the default");

        // Changed through the store, as the console and the API do: the change feed triggers a re-read.
        await db.Settings.SetAsync(SettingKeys.BootFileX64, "snponly.efi");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (policy.Decide(Uefi())?.BootFile != "snponly.efi" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.That(policy.Decide(Uefi())?.BootFile, Is.EqualTo("snponly.efi"), "a saved setting is heard without a restart");

        await db.Settings.RemoveAsync(SettingKeys.BootFileX64);
        await policy.RefreshAsync();
        Assert.That(policy.Decide(Uefi())?.BootFile, Is.EqualTo("ipxe.efi"));
        // iPXE itself is still sent to its script, whatever the files are.
        Assert.That(policy.Decide(Uefi() with { IsIpxe = true })?.BootFile, Does.EndWith("/boot/52:54:00:00:10:01.ipxe"));
    }

    [Test]
    public async Task DhcpModeSetting_WithAnInterfaceThatDoesNotExist_LeavesDhcpOff_AndTheServerStillServes()
    {
        using var dir = new TempDir("bm-dhcpset");
        await using (var db = await ProvisioningDatabase.OpenAsync(dir.Path, null, new ProvisioningOptions { PasswordIterations = 1000 }))
        {
            await db.Settings.SetAsync(SettingKeys.DhcpMode, "full");
            await db.Settings.SetAsync(SettingKeys.DhcpInterface, "bmnosuch0");
            await db.Settings.SetAsync(SettingKeys.DhcpRange, "10.0.0.100-10.0.0.199");
        }
        await using var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = dir.Path,
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            Tftp = null,
            Nbd = null,
            Iscsi = null,
            AdminPassword = ApiHost.Password,
            LogToConsole = false,
            PasswordIterations = 1000,
            ProgressInterval = Timeout.InfiniteTimeSpan,
            DhcpFromSettings = true,
            ConfigureWeb = b => b.WebHost.UseTestServer(),
        });
        await server.StartAsync(CancellationToken.None);
        Assert.That(server.Endpoints, Has.Some.EqualTo("dhcp  off: the settings ask for full mode, but interface 'bmnosuch0' has no IPv4 address"));
        using var client = server.Web.GetTestClient();
        Assert.That(await client.GetStringAsync("/healthz"), Is.EqualTo("ok\n"));
    }

    [TestCase("10.0.0.9-10.0.0.1")]
    [TestCase("10.0.0.1")]
    [TestCase("fe80::1-fe80::2")]
    [TestCase("10.0.0.1-banana")]
    public void DhcpRangeSetting_Malformed_IsRefusedWithTheExpectedShape(string value) =>
        Assert.That(SettingKeys.ValueProblem(SettingKeys.DhcpRange, value), Does.Contain("expected FIRST-LAST IPv4 addresses"));

    [Test]
    public void DhcpRangeSetting_Wellformed_IsAccepted() =>
        Assert.That(SettingKeys.ValueProblem(SettingKeys.DhcpRange, "10.0.0.100-10.0.0.199"), Is.Null);
}
