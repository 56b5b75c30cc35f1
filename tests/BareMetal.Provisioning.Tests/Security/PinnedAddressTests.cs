using System.Net;
using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Provisioning.Tests.Security;

/// <summary>An address given by hand pins a node there; what a DHCP request claims never moves the pin.</summary>
public class PinnedAddressTests(StoreBackend backend) : StoreTestBase(backend)
{
    [Test]
    public async Task AddByHand_WithAnAddress_PinsIt_AndContactsNeverMoveIt()
    {
        var node = await Db.Nodes.AddAsync(new NewNode("52:54:00:00:aa:01", IpAddress: "10.0.0.21"));
        Assert.That((node.IpAddress, node.PinnedAddress), Is.EqualTo(("10.0.0.21", "10.0.0.21")));
        var contact = new DhcpClientContact("52:54:00:00:aa:01", ClientArchitecture.IntelX86Pc, null, IPAddress.Parse("10.0.0.66"), FirmwareKind.Bios,
            "PXEClient:Arch:00000:UNDI:002001", DhcpMessageType.Request, "undionly.kpxe");
        (node, _) = await Db.Nodes.RegisterContactAsync(contact);
        Assert.That((node.IpAddress, node.PinnedAddress), Is.EqualTo(("10.0.0.66", "10.0.0.21")), "last seen moves, the pin stays");
        Assert.That((await Db.Nodes.AddAsync(new NewNode("52:54:00:00:aa:02"))).PinnedAddress, Is.Null);
        Assert.That((await Db.Nodes.AddAsync(new NewNode("52:54:00:00:aa:03", IpAddress: "::ffff:10.0.0.9"))).PinnedAddress, Is.EqualTo("10.0.0.9"));
    }

    [TestCase("not-an-ip")]
    [TestCase("10.0.0.300")]
    public void AddByHand_WithAMalformedAddress_IsRefused(string ip)
    {
        var e = Assert.ThrowsAsync<CatalogException>(async () => await Db.Nodes.AddAsync(new NewNode("52:54:00:00:aa:09", IpAddress: ip)));
        Assert.That((e!.Kind, e.Message), Is.EqualTo((CatalogErrorKind.Invalid, $"'{ip}' is not an IP address")));
    }
}
