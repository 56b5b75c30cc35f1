using System.Diagnostics;
using System.Net;
using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Web;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>
/// busybox udhcpc, an OS's DHCP client, from a node that streams its disk: the whole server (full or proxy
/// DHCP on the host end of a veth pair) moves the node's deployment to os-up. In proxy mode the client gets
/// no answer from us (the site's DHCP server hands out addresses), yet the contact is seen.
/// </summary>
[NonParallelizable]
public class OsDhcpOsUpTests
{
    private const string Mac = "52:54:00:0a:05:01";

    private static readonly TimeSpan ApiLimit = TimeSpan.FromSeconds(20);

    [Test]
    public async Task FullMode_UdhcpcFromAStreamingNode_GetsALease_AndMovesItsDeploymentToOsUp()
    {
        Peer.Require("busybox", "busybox");
        using var ns = NetworkNamespace.CreateWithVeth();
        using var dir = new TempDir("dhcp-osup-full");
        await using var server = await StreamingNodeAsync(ns, dir, DhcpMode.Full);
        var lease = Udhcpc.Lease(ns, dir, "os", null);
        Assert.That(lease["ip"], Does.StartWith($"10.213.{ns.Subnet}."));

        var d = await EventuallyAsync(server, DeploymentState.OsUp);
        var last = d.History[^1];
        Assert.Multiple(() =>
        {
            Assert.That(d.History.Select(t => t.To), Is.EqualTo(new[] { DeploymentState.Pxe, DeploymentState.Bootloader, DeploymentState.Streaming, DeploymentState.OsUp }));
            Assert.That((last.From, last.Source), Is.EqualTo(((DeploymentState?)DeploymentState.Streaming, DeploymentEventKind.DhcpContact)));
            Assert.That(last.Message, Does.StartWith("the OS asked DHCP for an address (vendor class 'udhcp "));
            Assert.That(d.Mode, Is.EqualTo(NodeMode.Stream));
        });
    }

    [Test]
    public async Task ProxyMode_UdhcpcFromAStreamingNode_GetsNoAnswerFromUs_ButTheDeploymentMovesToOsUp()
    {
        var busybox = Peer.Require("busybox", "busybox");
        using var ns = NetworkNamespace.CreateWithVeth();
        using var dir = new TempDir("dhcp-osup-proxy");
        await using var server = await StreamingNodeAsync(ns, dir, DhcpMode.Proxy);
        var script = dir.File("udhcpc.sh");
        File.WriteAllText(script, $"#!/bin/sh\necho \"$1\" >> {dir.File("events")}\nexit 0\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        // No other DHCP server on this wire: udhcpc gives up after 3 DISCOVERs, 1 s apart (-n), unanswered.
        var r = ns.ExecWithTimeout(TimeSpan.FromSeconds(30), busybox, "udhcpc", "-i", ns.ClientInterface, "-f", "-q", "-n", "-t", "3", "-T", "1", "-s", script);
        Assert.That(r.ExitCode, Is.Not.Zero, $"udhcpc got a lease from a proxy that must stay silent: {r.StdErr} {r.StdOut}");
        Assert.That(File.Exists(dir.File("events")) ? File.ReadAllText(dir.File("events")) : "", Does.Not.Contain("bound"));

        var d = await EventuallyAsync(server, DeploymentState.OsUp);
        Assert.That(d.History[^1].Source, Is.EqualTo(DeploymentEventKind.DhcpContact));
        Assert.That(d.History[^1].Message, Does.StartWith("the OS asked DHCP for an address (vendor class 'udhcp "));
    }

    /// <summary>
    /// The server with DHCP on the veth's host end, an image, and the node (the namespace end's MAC) assigned
    /// stream whose deployment reached streaming as if it had PXE-booted and sanbooted its overlay.
    /// </summary>
    private static async Task<BareMetalServer> StreamingNodeAsync(NetworkNamespace ns, TempDir dir, DhcpMode mode)
    {
        var set = ns.Exec(NetworkNamespace.Ip, "link", "set", "dev", ns.ClientInterface, "address", Mac);
        Assert.That(set.ExitCode, Is.Zero, set.StdErr);
        var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = dir.Path,
            Http = new IPEndPoint(IPAddress.Parse(ns.HostAddress), 0),
            Tftp = null,
            Nbd = null,
            Iscsi = null,
            Dhcp = mode,
            DhcpInterface = ns.HostInterface,
            DhcpRange = mode == DhcpMode.Full ? (IPAddress.Parse($"10.213.{ns.Subnet}.100"), IPAddress.Parse($"10.213.{ns.Subnet}.110")) : null,
            AdminPassword = "os-dhcp-test-password",
            LogToConsole = false,
            PasswordIterations = 1000,
            ProgressInterval = Timeout.InfiniteTimeSpan,
        });
        try
        {
            await server.StartAsync(CancellationToken.None);
            var db = server.Database;
            var image = dir.File("tiny.img");
            await using (var f = File.Create(image))
            {
                f.SetLength(1 << 20);
            }
            await db.Catalog.ImportFileAsync(image, new ImageImportRequest("tiny"));
            await db.Nodes.AddAsync(new NewNode(Mac));
            await db.Nodes.AssignAsync(Mac, new NodeAssignment("tiny", null, NodeMode.Stream));
            await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.NodeReport, DeploymentState.Pxe));
            await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.NodeReport, DeploymentState.Bootloader));
            var streaming = await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.DiskRead, BytesStreamed: 1 << 20));
            Assert.That(streaming.Deployment?.State, Is.EqualTo(DeploymentState.Streaming));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The DHCP contact is recorded off the receive loop: wait for it.</summary>
    private static async Task<Deployment> EventuallyAsync(BareMetalServer server, DeploymentState state)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var d = await server.Database.Deployments.GetCurrentAsync(Mac);
            if (d?.State == state)
            {
                return d;
            }
            if (watch.Elapsed > ApiLimit)
            {
                Assert.Fail($"not {state} within {ApiLimit.TotalSeconds} s: {d?.State}, history {string.Join(", ", d?.History.Select(t => $"{t.To} ({t.Source}: {t.Message})") ?? [])}");
            }
            await Task.Delay(100);
        }
    }
}
