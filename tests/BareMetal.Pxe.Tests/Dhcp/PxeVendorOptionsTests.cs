using System.Net;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Tests.Dhcp;

public class PxeVendorOptionsTests
{
    [Test]
    public void Encode_DiscoveryControl8_IsSubOption6ThenEnd() =>
        Assert.That(new PxeVendorOptions { DiscoveryControl = PxeVendorOptions.BootFileInThisPacket }.Encode(), Is.EqualTo(new byte[] { 6, 1, 8, 255 }));

    [Test]
    public void EncodeThenParse_AllSubOptions_RoundTrip()
    {
        var o = new PxeVendorOptions
        {
            DiscoveryControl = 7,
            BootServers = [new PxeBootServer(0x8000, [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")])],
            BootMenu = [new PxeBootMenuItem(0x8000, "iPXE"), new PxeBootMenuItem(0, "Local")],
            MenuPrompt = new PxeMenuPrompt(5, "Press F8"),
            BootItem = new PxeBootItem(0x8000, 0),
        };
        var back = PxeVendorOptions.Parse(o.Encode());
        Assert.That(back.DiscoveryControl, Is.EqualTo((byte)7));
        Assert.That(back.BootServers.Single().Type, Is.EqualTo((ushort)0x8000));
        Assert.That(back.BootServers.Single().Addresses, Is.EqualTo(o.BootServers[0].Addresses));
        Assert.That(back.BootMenu, Is.EqualTo(o.BootMenu));
        Assert.That(back.MenuPrompt, Is.EqualTo(o.MenuPrompt));
        Assert.That(back.BootItem, Is.EqualTo(o.BootItem));
    }

    [TestCase(new byte[] { 6 })]
    [TestCase(new byte[] { 6, 2, 8 })]
    [TestCase(new byte[] { 6, 2, 8, 8, 255 })]
    [TestCase(new byte[] { 8, 4, 0x80, 0, 2, 10, 255 })]
    [TestCase(new byte[] { 9, 4, 0x80, 0, 9, (byte)'x', 255 })]
    [TestCase(new byte[] { 71, 3, 0x80, 0, 0, 255 })]
    [TestCase(new byte[] { 10, 0, 255 })]
    public void Parse_Malformed_ThrowsBadVendorSubOption(byte[] v) =>
        Assert.That(Assert.Throws<DhcpProtocolException>(() => PxeVendorOptions.Parse(v))!.Error, Is.EqualTo(DhcpProtocolError.BadVendorSubOption));
}
