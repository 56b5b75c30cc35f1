using System.Net;
using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Provisioning.Tests.Nodes;

public class NodeRegistryTests(StoreBackend backend) : StoreTestBase(backend)
{
    private static readonly Guid Uuid = Guid.Parse("8c1a6f2e-3b1d-4d0a-9e58-0123456789ab");

    private static DhcpClientContact Contact(string mac, ClientArchitecture? arch = ClientArchitecture.IntelX86Pc, FirmwareKind fw = FirmwareKind.Bios, string? ip = null) =>
        new(mac, arch, Uuid, ip is null ? null : IPAddress.Parse(ip), fw, "PXEClient:Arch:00000:UNDI:002001", DhcpMessageType.Discover, "undionly.kpxe");

    [Test]
    public async Task FirstDhcpContact_RegistersAnAutoNode_WithWhatThePacketSaid()
    {
        var (node, created) = await Db.Nodes.RegisterContactAsync(Contact("52:54:00:AB:CD:EF", ip: "10.0.0.9"));
        Assert.Multiple(() =>
        {
            Assert.That(created, Is.True);
            Assert.That(node.Mac, Is.EqualTo("52:54:00:ab:cd:ef"));
            Assert.That(node.Architecture, Is.EqualTo(ClientArchitecture.IntelX86Pc));
            Assert.That(node.Uuid, Is.EqualTo(Uuid));
            Assert.That(node.Firmware, Is.EqualTo(FirmwareKind.Bios));
            Assert.That(node.IpAddress, Is.EqualTo("10.0.0.9"));
            Assert.That(node.Origin, Is.EqualTo(NodeOrigin.Auto));
            Assert.That(node.Mode, Is.EqualTo(NodeMode.None));
            Assert.That(node.FirstSeen, Is.EqualTo(Time.GetUtcNow()));
        });
    }

    [Test]
    public async Task LaterContacts_UpdateLastSeen_AndNeverForgetKnownFacts()
    {
        await Db.Nodes.RegisterContactAsync(Contact("52:54:00:00:00:01", ip: "10.0.0.9"));
        Time.Advance(TimeSpan.FromMinutes(5));
        var (node, created) = await Db.Nodes.RegisterContactAsync(new HttpBootContact("52-54-00-00-00-01", "10.0.0.10"));
        Assert.Multiple(() =>
        {
            Assert.That(created, Is.False);
            Assert.That(node.Architecture, Is.EqualTo(ClientArchitecture.IntelX86Pc));
            Assert.That(node.Firmware, Is.EqualTo(FirmwareKind.Bios));
            Assert.That(node.IpAddress, Is.EqualTo("10.0.0.10"));
            Assert.That(node.LastSeen - node.FirstSeen, Is.EqualTo(TimeSpan.FromMinutes(5)));
        });
        (node, _) = await Db.Nodes.RegisterContactAsync(Contact("52:54:00:00:00:01", ClientArchitecture.EfiX64, FirmwareKind.Ipxe));
        Assert.That((node.Architecture, node.Firmware), Is.EqualTo((ClientArchitecture.EfiX64, FirmwareKind.Ipxe)));
    }

    [Test]
    public async Task Add_ByHand_AcceptsAnyMacSpelling_AndRefusesDuplicatesAndGarbage()
    {
        var node = await Db.Nodes.AddAsync(new NewNode("525400A1B2C3", "rack1-node4"));
        Assert.That((node.Mac, node.Hostname, node.Origin), Is.EqualTo(("52:54:00:a1:b2:c3", "rack1-node4", NodeOrigin.Manual)));
        var dup = Assert.ThrowsAsync<CatalogException>(() => Db.Nodes.AddAsync(new NewNode("52:54:00:a1:b2:c3")));
        Assert.That(dup!.Kind, Is.EqualTo(CatalogErrorKind.Conflict));
        foreach (var bad in new[] { "", "52:54:00:a1:b2", "52:54:00:a1:b2:c3:d4", "zz:54:00:a1:b2:c3", "52:54-00:a1:b2:c3", "../../etc/passwd", "52:54:00:a1:b2:c\0" })
        {
            var e = Assert.ThrowsAsync<CatalogException>(() => Db.Nodes.AddAsync(new NewNode(bad)), bad);
            Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Invalid), bad);
        }
        foreach (var host in new[] { new string('a', 254), "bad host", "-lead", "semi;colon" })
        {
            Assert.ThrowsAsync<CatalogException>(() => Db.Nodes.AddAsync(new NewNode("52:54:00:00:00:09", host)), host);
        }
        Assert.That(await Db.Nodes.ListAsync(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Assign_ChecksNodeImageAndMode()
    {
        await Db.Catalog.ImportFileAsync(RawFile("i", 4096), new ImageImportRequest("img"));
        await Db.Nodes.AddAsync(new NewNode("52:54:00:00:00:01"));

        var node = await Db.Nodes.AssignAsync("52:54:00:00:00:01", new NodeAssignment("img", null, NodeMode.Stream));
        Assert.That((node.ImageName, node.ImageVersion, node.Mode), Is.EqualTo(("img", (int?)null, NodeMode.Stream)));
        node = await Db.Nodes.AssignAsync("52:54:00:00:00:01", new NodeAssignment(null, null, NodeMode.Local));
        Assert.That((node.ImageName, node.Mode), Is.EqualTo(((string?)null, NodeMode.Local)));

        Assert.ThrowsAsync<NodeNotFoundException>(() => Db.Nodes.AssignAsync("52:54:00:00:00:02", new NodeAssignment("img", null, NodeMode.Stream)));
        Assert.ThrowsAsync<ImageNotFoundException>(() => Db.Nodes.AssignAsync("52:54:00:00:00:01", new NodeAssignment("nope", null, NodeMode.Stream)));
        Assert.ThrowsAsync<ImageNotFoundException>(() => Db.Nodes.AssignAsync("52:54:00:00:00:01", new NodeAssignment("img", 2, NodeMode.Stream)));
        var invalid = new[]
        {
            new NodeAssignment(null, null, NodeMode.Stream),
            new NodeAssignment("img", 0, NodeMode.Stream),
            new NodeAssignment(null, 1, NodeMode.Local),
            new NodeAssignment("../img", null, NodeMode.Stream),
            new NodeAssignment("img", null, (NodeMode)42),
        };
        foreach (var a in invalid)
        {
            var e = Assert.ThrowsAsync<CatalogException>(() => Db.Nodes.AssignAsync("52:54:00:00:00:01", a), a.ToString());
            Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Invalid), a.ToString());
        }
        Assert.That((await Db.Nodes.GetAsync("52:54:00:00:00:01"))!.Mode, Is.EqualTo(NodeMode.Local));
    }

    [Test]
    public async Task Remove_DeletesTheNodeAndItsDeployments_AndChangesArePublished()
    {
        var changes = new List<ProvisioningChange>();
        using var cts = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var c in Db.Events.SubscribeAsync(cts.Token))
            {
                changes.Add(c);
                if (c.Kind == ProvisioningChangeKind.NodeRemoved)
                {
                    break;
                }
            }
        });
        while (Db.Events.SubscriberCount == 0)
        {
            await Task.Yield();
        }
        await Db.Nodes.RegisterContactAsync(Contact("52:54:00:00:00:01"));
        await Db.Deployments.RecordAsync("52:54:00:00:00:01", new Core.Deployments.DeploymentEvent(Core.Deployments.DeploymentEventKind.DhcpContact));
        Assert.That(await Db.Nodes.RemoveAsync("52:54:00:00:00:01"), Is.True);
        Assert.That(await Db.Nodes.RemoveAsync("52:54:00:00:00:01"), Is.False);
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Multiple(async () =>
        {
            Assert.That(await Db.Nodes.GetAsync("52:54:00:00:00:01"), Is.Null);
            Assert.That(await Db.Deployments.GetCurrentAsync("52:54:00:00:00:01"), Is.Null);
            Assert.That(changes.Select(c => c.Kind), Is.EqualTo(new[]
            {
                ProvisioningChangeKind.NodeAdded, ProvisioningChangeKind.DeploymentChanged, ProvisioningChangeKind.NodeRemoved,
            }));
        });
        await cts.CancelAsync();
    }

    [Test]
    public async Task DhcpAndAddressEvents_RegisterTheNodeAndDriveItsDeployment()
    {
        var (node, created, first) = await Db.RecordDhcpContactAsync(Contact("52:54:00:00:00:07", ip: "10.0.0.7"));
        Assert.That((created, first.Action, first.Deployment!.State), Is.EqualTo((true, Core.Deployments.TransitionAction.Start, Core.Deployments.DeploymentState.Pxe)));
        Assert.That((await Db.Nodes.GetByAddressAsync("10.0.0.7"))!.Mac, Is.EqualTo(node!.Mac));
        var tftp = await Db.RecordByAddressAsync("10.0.0.7", new(Core.Deployments.DeploymentEventKind.TftpTransfer, Message: "undionly.kpxe"));
        Assert.That(tftp!.Deployment!.State, Is.EqualTo(Core.Deployments.DeploymentState.Bootloader));
        Assert.That(await Db.RecordByAddressAsync("10.0.0.99", new(Core.Deployments.DeploymentEventKind.TftpTransfer)), Is.Null);
        var os = await Db.RecordDhcpContactAsync(OsContact("52:54:00:00:00:07"));
        Assert.That(os.Deployment.Action, Is.EqualTo(Core.Deployments.TransitionAction.Ignore), "an OS's DHCP client is not a boot (and this node does not stream)");
    }

    private static DhcpClientContact OsContact(string mac, string? ip = null) =>
        new(mac, null, null, ip is null ? null : IPAddress.Parse(ip), FirmwareKind.Other, "udhcp 1.35.0", DhcpMessageType.Request, null);

    [Test]
    public async Task OsDhcp_OfAStreamingNode_MovesItToOsUp_SayingWhichClientAsked_AndAgainChangesNothing()
    {
        const string mac = "52:54:00:00:00:08";
        await Db.RecordDhcpContactAsync(Contact(mac, ip: "10.0.0.8"));
        await Db.RecordByAddressAsync("10.0.0.8", new(Core.Deployments.DeploymentEventKind.TftpTransfer));
        await Db.RecordByAddressAsync("10.0.0.8", new(Core.Deployments.DeploymentEventKind.DiskRead, BytesStreamed: 512));
        var (node, created, up) = await Db.RecordDhcpContactAsync(OsContact(mac, "10.0.0.8"));
        Assert.Multiple(() =>
        {
            Assert.That((node?.Mac, created), Is.EqualTo(((string?)mac, false)));
            Assert.That(node!.Firmware, Is.EqualTo(FirmwareKind.Bios), "an OS's DHCP does not make the node's firmware 'other'");
            Assert.That((up.Action, up.Deployment!.State), Is.EqualTo((Core.Deployments.TransitionAction.Move, Core.Deployments.DeploymentState.OsUp)));
            var last = up.Deployment.History[^1];
            Assert.That((last.From, last.To, last.Source), Is.EqualTo(((Core.Deployments.DeploymentState?)Core.Deployments.DeploymentState.Streaming, Core.Deployments.DeploymentState.OsUp, Core.Deployments.DeploymentEventKind.DhcpContact)));
            Assert.That(last.Message, Is.EqualTo("the OS asked DHCP for an address (vendor class 'udhcp 1.35.0')"));
        });
        // The REQUEST after the DISCOVER, a renewal: the same boot, nothing written.
        var again = await Db.RecordDhcpContactAsync(OsContact(mac, "10.0.0.8"));
        Assert.That((again.Deployment.Action, again.Deployment.Deployment!.History.Count), Is.EqualTo((Core.Deployments.TransitionAction.Stay, up.Deployment!.History.Count)));
    }

    [Test]
    public async Task OsDhcp_OfAnUnknownMac_RegistersNoNode()
    {
        // ProxyDHCP hears every DHCP client on the segment: a printer is not a node.
        var (node, created, result) = await Db.RecordDhcpContactAsync(OsContact("52:54:00:00:00:09", "10.0.0.9"));
        Assert.That((node, created, result.Action), Is.EqualTo(((Node?)null, false, Core.Deployments.TransitionAction.Ignore)));
        Assert.That(await Db.Nodes.GetAsync("52:54:00:00:00:09"), Is.Null);
    }
}
