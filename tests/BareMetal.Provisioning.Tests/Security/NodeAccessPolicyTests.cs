using System.Net;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Core.Security;
using BareMetal.Pxe.Dhcp.Policy;

namespace BareMetal.Provisioning.Tests.Security;

/// <summary>Who may open a node's export, fetch its script and report for it: every rule, and every refusal's words.</summary>
public class NodeAccessPolicyTests
{
    private const string Mac = "52:54:00:aa:00:01";
    private const string Node = "525400aa0001";
    private static readonly IPAddress NodeAddress = IPAddress.Parse("10.0.0.21");
    private static readonly IPAddress Stranger = IPAddress.Parse("10.0.0.66");
    private static readonly NodeKeys Keys = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private NodeAccessTable _table = null!;
    private FixedAddresses _addresses = null!;

    [SetUp]
    public void SetUp()
    {
        _table = new NodeAccessTable();
        _table.Load([NodeOf(Mac, "debian", null, NodeMode.Stream)], [DeploymentOf(Mac, 7)]);
        _addresses = new FixedAddresses { [(Mac, NodeAddress)] = AddressVerdict.Match, [(Mac, Stranger)] = AddressVerdict.Mismatch };
    }

    private NodeAccessPolicy Policy(bool requireVerified = true) => new(_table, Keys, _addresses, requireVerified);

    private static string Key(long deployment = 7) => Keys.ExportKey(Mac, deployment);

    [Test]
    public void Export_TheNodeWithItsKeyFromItsAddress_Opens()
    {
        var d = Policy().Export(Node, "debian", 3, Key(), NodeAddress);
        Assert.That((d.Allowed, d.Mac), Is.EqualTo((true, Mac)), d.Reason);
        Assert.That(Policy().Export(Node, "debian", null, Key(), NodeAddress).Allowed, Is.True, "the plain (newest) name, unpinned");
    }

    [TestCase("525400aa0099", "debian", null, "no node 525400aa0099 is registered")]
    [TestCase(Node, "ubuntu", null, "not assigned to image 'ubuntu'")]
    [TestCase(Node, "debian", "wrong", "wrong key for this deployment")]
    [TestCase(Node, "debian", "none", "no key in the export name")]
    public void Export_Refusals_SayWhy(string node, string image, string? keyKind, string reason)
    {
        var key = keyKind switch { "wrong" => Keys.ExportKey(Mac, 6), "none" => null, _ => Key() };
        var d = Policy().Export(node, image, null, key, NodeAddress);
        Assert.That(d.Allowed, Is.False);
        Assert.That(d.Reason, Does.Contain(reason));
    }

    [Test]
    public void Export_AStolenKey_FromAnotherAddress_IsRefused_EvenWithoutAddressChecks()
    {
        foreach (var strict in new[] { true, false })
        {
            var d = Policy(strict).Export(Node, "debian", null, Key(), Stranger);
            Assert.That(d.Allowed, Is.False);
            Assert.That(d.Reason, Does.Contain("is not node 52:54:00:aa:00:01's address"));
        }
    }

    [Test]
    public void Export_FromAnUnverifiableAddress_NeedsTheKeyOnlyModeToOpen()
    {
        var routed = IPAddress.Parse("192.0.2.5");
        Assert.That(Policy(requireVerified: true).Export(Node, "debian", null, Key(), routed).Reason, Does.Contain("cannot be verified"));
        Assert.That(Policy(requireVerified: false).Export(Node, "debian", null, Key(), routed).Allowed, Is.True);
        Assert.That(Policy(requireVerified: false).Export(Node, "debian", null, null, routed).Allowed, Is.False, "never without the key");
    }

    [Test]
    public void Export_ANewDeployment_RetiresTheOldKey()
    {
        _table.Apply(new ProvisioningChange(ProvisioningChangeKind.DeploymentChanged, DateTimeOffset.UnixEpoch, Mac, Deployment: DeploymentOf(Mac, 8)));
        Assert.That(Policy().Export(Node, "debian", null, Key(7), NodeAddress).Allowed, Is.False);
        Assert.That(Policy().Export(Node, "debian", null, Key(8), NodeAddress).Allowed, Is.True);
        // A late notice of the older deployment does not bring its key back.
        _table.Apply(new ProvisioningChange(ProvisioningChangeKind.DeploymentChanged, DateTimeOffset.UnixEpoch, Mac, Deployment: DeploymentOf(Mac, 7)));
        Assert.That(Policy().Export(Node, "debian", null, Key(7), NodeAddress).Allowed, Is.False);
    }

    [TestCase(NodeMode.Local)]
    [TestCase(NodeMode.Deploy)]
    [TestCase(NodeMode.None)]
    public void Export_ANodeThatStreamsNothing_OpensNoOverlay(NodeMode mode)
    {
        _table.Apply(new ProvisioningChange(ProvisioningChangeKind.NodeChanged, DateTimeOffset.UnixEpoch, Mac, Node: NodeOf(Mac, "debian", null, mode)));
        Assert.That(Policy().Export(Node, "debian", null, Key(), NodeAddress).Reason, Does.Contain("reads no overlay"));
    }

    [Test]
    public void Export_APinnedVersion_OpensThatVersionOnly()
    {
        _table.Apply(new ProvisioningChange(ProvisioningChangeKind.NodeChanged, DateTimeOffset.UnixEpoch, Mac, Node: NodeOf(Mac, "debian", 3, NodeMode.Stream)));
        Assert.That(Policy().Export(Node, "debian", 3, Key(), NodeAddress).Allowed, Is.True);
        Assert.That(Policy().Export(Node, "debian", 2, Key(), NodeAddress).Reason, Does.Contain("pinned to version 3"));
        Assert.That(Policy().Export(Node, "debian", null, Key(), NodeAddress).Allowed, Is.False);
    }

    [Test]
    public void Export_ARemovedNode_OpensNothing()
    {
        _table.Apply(new ProvisioningChange(ProvisioningChangeKind.NodeRemoved, DateTimeOffset.UnixEpoch, Mac, Node: NodeOf(Mac, "debian", null, NodeMode.Stream)));
        Assert.That(Policy().Export(Node, "debian", null, Key(), NodeAddress).Allowed, Is.False);
    }

    [Test]
    public void Export_OverIscsi_CHAPStandsForTheKey_ButTheAddressStillCounts()
    {
        Assert.That(Policy().Export(Node, "debian", null, null, NodeAddress, chapProven: true).Allowed, Is.True);
        Assert.That(Policy().Export(Node, "debian", null, null, Stranger, chapProven: true).Allowed, Is.False);
    }

    [Test]
    public void BootScript_GoesToTheNodesAddressOnly_NeverOnAKey()
    {
        Assert.That(Policy().BootScript(Mac, NodeAddress).Allowed, Is.True);
        Assert.That(Policy().BootScript(Mac, Stranger).Allowed, Is.False);
        Assert.That(Policy(requireVerified: false).BootScript(Mac, IPAddress.Parse("192.0.2.5")).Allowed, Is.False, "the script holds the key: no key can unlock it");
        Assert.That(Policy().BootScript("52:54:00:aa:00:99", NodeAddress).Reason, Does.Contain("no node 52:54:00:aa:00:99 is registered"));
    }

    [Test]
    public void Callback_TheKeyOrTheNodesAddress()
    {
        var routed = IPAddress.Parse("192.0.2.5");
        Assert.That(Policy().Callback(Mac, null, NodeAddress).Allowed, Is.True, "its own address, no key");
        Assert.That(Policy().Callback(Mac, null, Stranger).Allowed, Is.False);
        Assert.That(Policy().Callback(Mac, null, routed).Allowed, Is.False);
        Assert.That(Policy().Callback(Mac, Key(), NodeAddress).Allowed, Is.True);
        Assert.That(Policy().Callback(Mac, Key(6), NodeAddress).Reason, Does.Contain("wrong key"), "a wrong key is refused even from the right address");
        Assert.That(Policy().Callback(Mac, Key(), Stranger).Allowed, Is.False, "a stolen key from a contradicted address");
        Assert.That(Policy(requireVerified: false).Callback(Mac, Key(), routed).Allowed, Is.True);
    }

    [Test]
    public void Secrets_ComeFromTheCurrentDeployment_AndAreNullWithoutOne()
    {
        var s = Policy().SecretsFor(Mac)!;
        Assert.That((s.DeploymentId, s.ExportKey, s.ChapUser), Is.EqualTo((7L, Key(), Node)));
        Assert.That(s.ChapSecret, Is.Not.EqualTo(s.TargetChapSecret));
        _table.Load([NodeOf("52:54:00:aa:00:02", null, null, NodeMode.None)], []);
        Assert.That(Policy().SecretsFor("52:54:00:aa:00:02"), Is.Null);
    }

    internal static Node NodeOf(string mac, string? image, int? version, NodeMode mode, string? pinned = null) =>
        new(mac, null, null, null, FirmwareKind.Bios, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, image, version, mode, NodeOrigin.Auto, pinned);

    internal static Deployment DeploymentOf(string mac, long id) =>
        new(id, mac, DeploymentState.Bootloader, NodeMode.Stream, "debian", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, 0, 0, 0, 0, null, []);

    /// <summary>Verdicts by (MAC, address); anything else is Unknown.</summary>
    private sealed class FixedAddresses : Dictionary<(string, IPAddress), AddressVerdict>, INodeAddressVerifier
    {
        public AddressVerdict Verify(string mac, IPAddress address, string? pinnedAddress) =>
            TryGetValue((mac, address), out var v) ? v : AddressVerdict.Unknown;
    }
}
