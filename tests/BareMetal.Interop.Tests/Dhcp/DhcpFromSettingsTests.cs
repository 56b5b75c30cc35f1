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
        var busybox = Peer.Require("busybox", "busybox");
        using var ns = NetworkNamespace.CreateWithVeth();
        using var data = new TempDir("dhcp-settings");
        await using (var db = await ProvisioningDatabase.OpenAsync(data.Path, null, new ProvisioningOptions { PasswordIterations = 1000 }))
        {
            await db.Settings.SetAsync(SettingKeys.DhcpMode, "full");
            await db.Settings.SetAsync(SettingKeys.DhcpInterface, ns.HostInterface);
            await db.Settings.SetAsync(SettingKeys.DhcpRange, $"10.213.{ns.Subnet}.150-10.213.{ns.Subnet}.151");
        }
        await using var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = data.Path,
            Http = new IPEndPoint(IPAddress.Parse(ns.HostAddress), 0),
            Tftp = null,
            Nbd = null,
            Iscsi = null,
            AdminPassword = "settings-test-password",
            LogToConsole = false,
            PasswordIterations = 1000,
            DhcpFromSettings = true,
        });
        await server.StartAsync(CancellationToken.None);
        Assert.That(server.Endpoints, Has.Some.StartsWith($"dhcp  full on {ns.HostInterface} ({ns.HostAddress})").And.EndsWith("(from settings)"),
            string.Join("\n", server.Endpoints));

        var first = Udhcpc(ns, busybox, data, "first");
        Assert.That(first["ip"], Is.AnyOf($"10.213.{ns.Subnet}.150", $"10.213.{ns.Subnet}.151"), "an address from the saved range");
        Assert.That(first["bootfile"], Is.EqualTo("undionly.kpxe"), "the default BIOS boot file");

        await server.Database.Settings.SetAsync(SettingKeys.BootFileBios, "custom.kpxe");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        Dictionary<string, string> second;
        do
        {
            // The policy re-reads on the change feed; a DISCOVER racing the re-read may still get the old file.
            second = Udhcpc(ns, busybox, data, "second");
        }
        while (second["bootfile"] != "custom.kpxe" && DateTime.UtcNow < deadline);
        Assert.That(second["bootfile"], Is.EqualTo("custom.kpxe"), "a boot file saved while serving applies without a restart");
    }

    /// <summary>One PXE-looking udhcpc run (BIOS arch, PXEClient vendor class); the lease's environment.</summary>
    private static Dictionary<string, string> Udhcpc(NetworkNamespace ns, string busybox, TempDir dir, string tag)
    {
        var script = dir.File($"script-{tag}.sh");
        var env = dir.File($"env-{tag}");
        File.Delete(env + ".bound");
        File.WriteAllText(script, $"#!/bin/sh\nenv | sort > {env}.$1\nexit 0\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var r = ns.ExecWithTimeout(TimeSpan.FromSeconds(40), busybox,
            "udhcpc", "-i", ns.ClientInterface, "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", script,
            "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000", "-O", "bootfile");
        Assert.That(File.Exists(env + ".bound"), Is.True, $"udhcpc got no lease (exit {r.ExitCode}): {r.StdErr} {r.StdOut}");
        return File.ReadAllLines(env + ".bound").Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }
}
