using System.Net;
using System.Net.Http.Json;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Provisioning.Web.Hosting;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.Pxe.Dhcp.Session;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>Full DHCP's options 3, 6, 15 and 42: a serve flag wins, then the dhcp.* setting, then the interface's own configuration.</summary>
public sealed class DhcpNetworkSettingsTests
{
    private static readonly FullDhcpOptions Pool = new() { ServerAddress = IPAddress.Parse("10.9.0.1"), RangeStart = IPAddress.Parse("10.9.0.100"), RangeEnd = IPAddress.Parse("10.9.0.110") };

    private static readonly InterfaceNetwork FromInterface = new(IPAddress.Parse("10.9.0.254"), [IPAddress.Parse("10.9.0.53")], "lab.example");

    [Test]
    public void Nothing_Set_UsesTheInterfacesRouteAndResolvConf_AndNoNtp()
    {
        var full = DhcpNetworkSettings.Apply(Pool, new ServeOptions(), new Dictionary<string, string>(), FromInterface);
        Assert.That((full.Router, full.DnsServers.Single(), full.DomainName, full.NtpServers.Count), Is.EqualTo((IPAddress.Parse("10.9.0.254"), IPAddress.Parse("10.9.0.53"), "lab.example", 0)));
        Assert.That(DhcpNetworkSettings.Describe(full), Is.EqualTo("router 10.9.0.254, dns 10.9.0.53, domain lab.example, ntp none"));
    }

    [Test]
    public void Settings_OverrideTheInterface_AndFlagsOverrideSettings_AndNoneSendsNothing()
    {
        var saved = new Dictionary<string, string>
        {
            [SettingKeys.DhcpRouter] = "10.9.0.2",
            [SettingKeys.DhcpDns] = "1.1.1.1, 9.9.9.9",
            [SettingKeys.DhcpDomain] = "none",
            [SettingKeys.DhcpNtp] = "10.9.0.123",
        };
        var full = DhcpNetworkSettings.Apply(Pool, new ServeOptions { DhcpRouter = "none", DhcpNtp = "10.9.0.124,10.9.0.125" }, saved, FromInterface);
        Assert.That(full.Router, Is.Null, "the flag's none wins over the setting");
        Assert.That(full.DnsServers, Is.EqualTo(new[] { IPAddress.Parse("1.1.1.1"), IPAddress.Parse("9.9.9.9") }), "the setting wins over resolv.conf");
        Assert.That(full.DomainName, Is.Null, "none");
        Assert.That(full.NtpServers, Is.EqualTo(new[] { IPAddress.Parse("10.9.0.124"), IPAddress.Parse("10.9.0.125") }));
    }

    [TestCase(SettingKeys.DhcpRouter, "10.0.0.1", true)]
    [TestCase(SettingKeys.DhcpRouter, "none", true)]
    [TestCase(SettingKeys.DhcpRouter, "10.0.0", false)]
    [TestCase(SettingKeys.DhcpRouter, "::1", false)]
    [TestCase(SettingKeys.DhcpDns, "10.0.0.53 10.0.0.54", true)]
    [TestCase(SettingKeys.DhcpDns, "10.0.0.53,,10.0.0.54", true)]
    [TestCase(SettingKeys.DhcpDns, "10.0.0.53;10.0.0.54", false)]
    [TestCase(SettingKeys.DhcpDomain, "lab.example.", true)]
    [TestCase(SettingKeys.DhcpDomain, "-lab.example", false)]
    [TestCase(SettingKeys.DhcpDomain, "lab..example", false)]
    [TestCase(SettingKeys.DhcpNtp, "NONE", true)]
    [TestCase(SettingKeys.DhcpNtp, "pool.ntp.org", false)]
    public void NetworkSettings_AreChecked(string key, string value, bool accepted) =>
        Assert.That(SettingKeys.ValueProblem(key, value), accepted ? Is.Null : Is.Not.Null);

    [Test]
    public async Task SettingsPage_ShowsAndSavesRouterDnsDomainAndNtp()
    {
        await using var host = await ApiHost.StartAsync();
        using var console = await ConsoleSession.SignInAsync(host);
        await console.GetPageAsync("/settings");
        using (var saved = await console.PostFormAsync("/settings?handler=Boot", new Dictionary<string, string>
        {
            ["dhcpMode"] = "full",
            ["dhcpRouter"] = "10.9.0.254",
            ["dhcpDns"] = " 10.9.0.53, 10.9.0.54 ",
            ["dhcpDomain"] = "lab.example",
            ["dhcpNtp"] = "none",
        }))
        {
            Assert.That((int)saved.StatusCode, Is.LessThan(400), await saved.Content.ReadAsStringAsync());
        }
        using var api = await host.TokenClientAsync();
        var settings = await api.GetFromJsonAsync<Dictionary<string, string>>("/api/v1/settings");
        Assert.That(new[] { "dhcp.router", "dhcp.dns", "dhcp.domain", "dhcp.ntp" }.Select(k => settings![k]), Is.EqualTo(new[] { "10.9.0.254", "10.9.0.53, 10.9.0.54", "lab.example", "none" }));
        var html = await console.GetPageAsync("/settings");
        Assert.That(html, Does.Contain("id=\"dhcp-router\" name=\"dhcpRouter\" type=\"text\" value=\"10.9.0.254\""));
        Assert.That(html, Does.Contain("value=\"10.9.0.53, 10.9.0.54\""));
        Assert.That(html, Does.Contain("id=\"dhcp-ntp\" name=\"dhcpNtp\" type=\"text\" value=\"none\""));
        Assert.That(html, Does.Contain("placeholder=\"(default: resolv.conf, once an interface is set)\""), "an empty field says where its default comes from");
    }
}
