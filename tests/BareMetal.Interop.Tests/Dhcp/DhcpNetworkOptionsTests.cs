using System.Net;
using BareMetal.Provisioning.Core;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Provisioning.Web;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>
/// `serve --dhcp full` hands out router, DNS, domain and NTP (options 3, 6, 15, 42): busybox udhcpc in a
/// namespace receives them (issue 18: Debian's installer got none and could not reach past the subnet).
/// Flags win over the console's settings; both are used here, one for each pair.
/// </summary>
[NonParallelizable]
public class DhcpNetworkOptionsTests
{
    [Test]
    public async Task ServeFull_FlagsAndSettings_UdhcpcReceivesRouterDnsDomainAndNtp()
    {
        Peer.Require("busybox", "busybox");
        using var ns = NetworkNamespace.CreateWithVeth();
        using var data = new TempDir("dhcp-network");
        var net = $"10.213.{ns.Subnet}";
        await using (var db = await ProvisioningDatabase.OpenAsync(data.Path, null, new ProvisioningOptions { PasswordIterations = 1000 }))
        {
            await db.Settings.SetAsync(SettingKeys.DhcpDomain, "lab.example");
            await db.Settings.SetAsync(SettingKeys.DhcpNtp, $"{net}.123");
            // A flag wins over its setting: this router is never sent.
            await db.Settings.SetAsync(SettingKeys.DhcpRouter, $"{net}.99");
        }
        await using var server = new BareMetalServer(NamespaceServe.Options(ns, data.Path, "network-options-test-password") with
        {
            Dhcp = DhcpMode.Full,
            DhcpInterface = ns.HostInterface,
            DhcpRange = (IPAddress.Parse($"{net}.100"), IPAddress.Parse($"{net}.110")),
            DhcpRouter = ns.HostAddress,
            DhcpDns = $"{net}.53, {net}.54",
        });
        await server.StartAsync(CancellationToken.None);
        Assert.That(server.Endpoints, Has.Some.EndsWith($"router {ns.HostAddress}, dns {net}.53,{net}.54, domain lab.example, ntp {net}.123"), string.Join("\n", server.Endpoints));

        // udhcpc asks for subnet, router, dns, hostname, domain and broadcast by default; -O adds NTP (42).
        var env = Udhcpc.Lease(ns, data, "network", null, "-O", "ntpsrv");
        Assert.Multiple(() =>
        {
            Assert.That(env["ip"], Does.StartWith($"{net}.1"));
            Assert.That(env["router"].Trim(), Is.EqualTo(ns.HostAddress), "option 3, from --dhcp-router over the setting");
            Assert.That(env["dns"].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { $"{net}.53", $"{net}.54" }), "option 6, from --dhcp-dns");
            Assert.That(env["domain"], Is.EqualTo("lab.example"), "option 15, from the dhcp.domain setting");
            Assert.That(env["ntpsrv"].Trim(), Is.EqualTo($"{net}.123"), "option 42, from the dhcp.ntp setting");
        });
    }
}
