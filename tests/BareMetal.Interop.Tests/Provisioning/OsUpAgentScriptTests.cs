using System.Net;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Provisioning;

/// <summary>
/// The os-up reporter script (<see cref="OsUpAgent.ScriptPath"/>) run by real shells against the whole
/// server on loopback: dash with curl (POST), and busybox sh with nothing but busybox's applets (wget, GET).
/// The end-to-end test runs it inside a booted Linux; this one covers curl and the refusals.
/// </summary>
[NonParallelizable]
public class OsUpAgentScriptTests
{
    private const string Mac = "52:54:00:0a:05:02";

    [Test]
    public async Task Script_ReportsWithCurl_ThenWithBusyboxWgetAlone_AndFailsLoudlyForAnUnknownNode()
    {
        var dash = Peer.Require("/bin/sh", "dash");
        Peer.Require("curl", "curl");
        var busybox = Peer.Require("busybox", "busybox");
        using var dir = new TempDir("osup-script");
        await using var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = dir.Path,
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            Tftp = null,
            Nbd = null,
            Iscsi = null,
            AdminPassword = "os-up-script-password",
            LogToConsole = false,
            PasswordIterations = 1000,
            ProgressInterval = Timeout.InfiniteTimeSpan,
        });
        await server.StartAsync(CancellationToken.None);
        var db = server.Database;
        // Added by hand with its address pinned: the script's report carries no key, and on loopback nothing
        // else (no DHCP lease, no neighbour entry) tells the server that 127.0.0.1 is this node.
        await db.Nodes.AddAsync(new NewNode(Mac, IpAddress: "127.0.0.1"));
        await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.NodeReport, DeploymentState.Pxe));
        await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.NodeReport, DeploymentState.Bootloader));
        await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.DiskRead, BytesStreamed: 512));
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        var script = dir.File("os-up.sh");
        await File.WriteAllTextAsync(script, await http.GetStringAsync(OsUpAgent.ScriptPath));

        // dash + curl: POST, the MAC given as $1 (this machine's own interface is not a node).
        var curl = Peer.Run(dash, [script, Mac], TimeSpan.FromSeconds(30));
        Assert.That((curl.ExitCode, curl.StdOut.Trim()), Is.EqualTo((0, $"{OsUpAgent.ScriptBanner} node {Mac} is os-up (deployment 1)")), curl.StdErr);
        var d = await db.Deployments.GetCurrentAsync(Mac);
        Assert.That((d!.State, d.History[^1].Source), Is.EqualTo((DeploymentState.OsUp, DeploymentEventKind.NodeReport)));
        Assert.That(d.History[^1].Message, Is.EqualTo($"the OS reported itself up (/boot/{Mac}/os-up from 127.0.0.1)"));

        // busybox alone (PATH holds only its applets, no curl): wget, a GET.
        var bin = Directory.CreateDirectory(dir.File("bin")).FullName;
        foreach (var applet in new[] { "sh", "wget", "cat" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, applet), busybox);
        }
        var wget = Peer.Run("/usr/bin/env", ["-i", $"PATH={bin}", Path.Combine(bin, "sh"), script, Mac], TimeSpan.FromSeconds(30));
        Assert.That((wget.ExitCode, wget.StdOut.Trim()), Is.EqualTo((0, $"{OsUpAgent.ScriptBanner} node {Mac} was already os-up (deployment 1)")), wget.StdErr);
        Assert.That((await db.Deployments.GetCurrentAsync(Mac))!.History, Has.Count.EqualTo(d.History.Count), "a repeat writes nothing");

        // No MAC given: the script finds this machine's own (default route or first interface up), which is no node: 404, exit 1.
        var unknown = Peer.Run(dash, [script], TimeSpan.FromSeconds(30));
        Assert.That(unknown.ExitCode, Is.EqualTo(1), unknown.StdOut);
        Assert.That(unknown.StdErr, Does.Contain($"{OsUpAgent.ScriptBanner} {server.HttpAddress!.ToString().TrimEnd('/')}/boot/").And.Contain("/os-up refused or unreachable")
            .Or.Contain($"{OsUpAgent.ScriptBanner} no network interface found"));
    }
}
