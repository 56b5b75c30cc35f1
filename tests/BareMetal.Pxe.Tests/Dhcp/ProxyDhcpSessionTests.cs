using System.Net;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Tests.Dhcp;

/// <summary>The ProxyDHCP responder against each PXE pitfall in REFERENCES.md.</summary>
public class ProxyDhcpSessionTests
{
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Tftp = IPAddress.Parse("10.0.0.2");
    private static readonly IPEndPoint FromClient = new(IPAddress.Any, 68);

    private static ProxyDhcpSession Session(DefaultBootPolicyOptions? o = null) => new(new ProxyDhcpOptions(Server, Tftp), new DefaultBootPolicy(o));

    private static DhcpOutcome Send(DhcpPacket p, int port = 67, IPEndPoint? from = null, ProxyDhcpSession? s = null) =>
        (s ?? Session()).Handle(new DhcpInbound(p.Bytes(), from ?? FromClient, port));

    private static DhcpReply Reply(DhcpPacket p, int port = 67, IPEndPoint? from = null, ProxyDhcpSession? s = null)
    {
        var o = Send(p, port, from, s);
        Assert.That(o.Reply, Is.Not.Null, o.DropReason);
        // What goes on the wire must itself parse.
        Assert.That(DhcpPacketText.Format(DhcpCodec.Read(o.Reply!.Datagram)), Is.EqualTo(DhcpPacketText.Format(o.Reply.Packet)));
        return o.Reply;
    }

    [Test]
    public void Offer_IsPaddedToAtLeast300Bytes() => Assert.That(Reply(Packets.PxeDiscover(0)).Datagram, Has.Length.GreaterThanOrEqualTo(300));

    [Test]
    public void Offer_AlwaysCarriesServerIdentifier() => Assert.That(Reply(Packets.PxeDiscover(0)).Packet.ServerIdentifier, Is.EqualTo(Server));

    [Test]
    public void Offer_HasYiaddrZero_AndIsAnOffer()
    {
        var r = Reply(Packets.PxeDiscover(7)).Packet;
        Assert.That(r.YourAddress, Is.EqualTo(IPAddress.Any));
        Assert.That(r.MessageType, Is.EqualTo(DhcpMessageType.Offer));
        Assert.That(r.Op, Is.EqualTo(DhcpOpCode.BootReply));
    }

    [Test]
    public void Offer_PutsBootFileInFileFieldAndOption67_AndTftpServerInSiaddrAndOption66()
    {
        var r = Reply(Packets.PxeDiscover(0)).Packet;
        Assert.That(r.BootFile, Is.EqualTo("undionly.kpxe"));
        Assert.That(r.GetString(DhcpOptionCode.BootFileName), Is.EqualTo("undionly.kpxe"));
        Assert.That(r.ServerAddress, Is.EqualTo(Tftp));
        Assert.That(r.GetString(DhcpOptionCode.TftpServerName), Is.EqualTo("10.0.0.2"));
    }

    [Test]
    public void Offer_StringOptionsAndFileField_HaveNoStrayNul()
    {
        var r = Reply(Packets.PxeDiscover(0));
        foreach (var code in new[] { DhcpOptionCode.VendorClassIdentifier, DhcpOptionCode.TftpServerName, DhcpOptionCode.BootFileName })
        {
            Assert.That(r.Packet.Get(code), Does.Not.Contain((byte)0), $"option {code}");
        }
        // file field: the name, then NULs only.
        var file = r.Datagram.AsSpan(108, 128).ToArray();
        Assert.That(file.Take(13).ToArray(), Is.EqualTo("undionly.kpxe"u8.ToArray()));
        Assert.That(file.Skip(13), Is.All.EqualTo((byte)0));
    }

    [TestCase((ushort)7)]
    [TestCase((ushort)9)]
    public void Offer_Arch7And9_BothGetTheX64Binary(ushort arch) =>
        Assert.That(Reply(Packets.PxeDiscover(arch)).Packet.BootFile, Is.EqualTo("ipxe.efi"));

    [Test]
    public void Offer_X64BinaryIsConfigurable_ToSnponly() =>
        Assert.That(Reply(Packets.PxeDiscover(7), s: Session(new DefaultBootPolicyOptions { X64BootFile = "snponly.efi" })).Packet.BootFile, Is.EqualTo("snponly.efi"));

    [Test]
    public void Offer_EchoesOption97_WhenSent() =>
        Assert.That(Reply(Packets.PxeDiscover(7)).Packet.Get(DhcpOptionCode.ClientMachineIdentifier), Is.EqualTo(Packets.Uuid));

    [Test]
    public void Offer_ClientWithoutOption97_IsAnsweredWithoutIt()
    {
        var r = Reply(Packets.PxeDiscover(0, withUuid: false)).Packet;
        Assert.That(r.Has(DhcpOptionCode.ClientMachineIdentifier), Is.False);
        Assert.That(r.BootFile, Is.EqualTo("undionly.kpxe"));
    }

    [TestCase("udhcp 1.35.0")]
    [TestCase("MSFT 5.0")]
    [TestCase("pxeclient")]
    public void Discover_FromNonPxeClient_IsNotAnswered_ButItsContactIsReported(string vendor)
    {
        var p = Packets.Request(DhcpMessageType.Discover, extra: DhcpOption.String(DhcpOptionCode.VendorClassIdentifier, vendor));
        var o = Send(p);
        Assert.That(o.Reply, Is.Null, "ProxyDHCP must stay silent to an OS's DHCP client: the site's server answers it");
        Assert.That(o.DropReason, Does.Contain("not PXEClient"));
        // Provisioning reads an OS's DHCP as "the streamed OS came up".
        Assert.That((o.Contact?.Mac, o.Contact?.Firmware, o.Contact?.VendorClass, o.Contact?.BootFile), Is.EqualTo((Packets.MacText, (FirmwareKind?)FirmwareKind.Other, vendor, (string?)null)));
    }

    [TestCase(DhcpMessageType.Discover)]
    [TestCase(DhcpMessageType.Request)]
    [TestCase(DhcpMessageType.Inform)]
    public void NonPxeClient_WithoutVendorClass_IsNotAnswered_OnEitherPort_ButItsContactIsReported(DhcpMessageType type)
    {
        foreach (var port in new[] { 67, DhcpPorts.PxeBootServer })
        {
            var o = Send(Packets.Request(type), port);
            Assert.That(o.Reply, Is.Null, $"{type} on {port}");
            Assert.That(o.Contact?.MessageType, Is.EqualTo(type), $"{type} on {port}");
            Assert.That(o.Contact?.VendorClass, Is.Null);
        }
    }

    [Test]
    public void Offer_RepliesWithVendorClassPXEClient() =>
        Assert.That(Reply(Packets.PxeDiscover(0)).Packet.VendorClass, Is.EqualTo("PXEClient"));

    [Test]
    public void Offer_Option43_IsDiscoveryControl8_Terminated()
    {
        var v = Reply(Packets.PxeDiscover(7)).Packet.Get(DhcpOptionCode.VendorSpecific);
        Assert.That(v, Is.EqualTo(new byte[] { 6, 1, 8, 255 }));
        Assert.That(PxeVendorOptions.Parse(v).DiscoveryControl, Is.EqualTo(PxeVendorOptions.BootFileInThisPacket));
    }

    [Test]
    public void RequestOnPort4011_GetsAck_UnicastBackToTheSender()
    {
        var from = new IPEndPoint(IPAddress.Parse("10.0.0.77"), 68);
        var p = Packets.PxeDiscover(7).With(DhcpMessageType.Request) with { ClientAddress = from.Address };
        var r = Reply(p, DhcpPorts.PxeBootServer, from);
        Assert.That(r.Packet.MessageType, Is.EqualTo(DhcpMessageType.Ack));
        Assert.That(r.Destination, Is.EqualTo(from));
        Assert.That(r.Packet.YourAddress, Is.EqualTo(IPAddress.Any));
        Assert.That(r.Packet.ClientAddress, Is.EqualTo(from.Address));
        Assert.That(r.Packet.BootFile, Is.EqualTo("ipxe.efi"));
        Assert.That(r.Packet.Get(DhcpOptionCode.VendorSpecific), Is.EqualTo(new byte[] { 6, 1, 8, 255 }));
    }

    [Test]
    public void DiscoverOnPort4011_AndRequestOnPort67_AreLeftAlone()
    {
        Assert.That(Send(Packets.PxeDiscover(7), DhcpPorts.PxeBootServer).Reply, Is.Null);
        var o = Send(Packets.PxeDiscover(7).With(DhcpMessageType.Request));
        Assert.That(o.Reply, Is.Null);
        Assert.That(o.DropReason, Does.Contain("DHCP server"));
    }

    [Test]
    public void IpxeUserClass_GetsTheScriptUrlWithLowerCaseColonMac()
    {
        var r = Reply(Packets.IpxeDiscover()).Packet;
        Assert.That(r.BootFile, Is.EqualTo("http://10.0.0.1:8080/boot/52:54:00:12:34:56.ipxe"));
        Assert.That(r.GetString(DhcpOptionCode.BootFileName), Is.EqualTo(r.BootFile));
    }

    [Test]
    public void IpxeScriptUrlOffer_StillCarriesSiaddr_BecauseIpxeIgnoresProxyOffersWithoutIt()
    {
        var r = Reply(Packets.IpxeDiscover()).Packet;
        Assert.That(r.ServerAddress, Is.EqualTo(Tftp));
        Assert.That(r.BootFile, Is.Not.Empty);
    }

    [Test]
    public void IpxeOption175WithoutUserClass_GetsTheScriptUrl() =>
        Assert.That(Reply(Packets.IpxeDiscover(viaUserClass: false)).Packet.BootFile, Does.EndWith("/boot/52:54:00:12:34:56.ipxe"));

    [Test]
    public void IpxeScriptUrl_UsesConfiguredHttpBase() =>
        Assert.That(Reply(Packets.IpxeDiscover(), s: Session(new DefaultBootPolicyOptions { HttpBaseUrl = new Uri("http://boot.lab:9000/") })).Packet.BootFile,
            Is.EqualTo("http://boot.lab:9000/boot/52:54:00:12:34:56.ipxe"));

    [Test]
    public void HttpClient_GetsFullUrl_VendorClassHTTPClient_AndNoPxeOption43()
    {
        var r = Reply(Packets.PxeDiscover(16, vendorPrefix: "HTTPClient")).Packet;
        Assert.That(r.VendorClass, Is.EqualTo("HTTPClient"));
        Assert.That(r.BootFile, Is.EqualTo("http://10.0.0.1:8080/boot/ipxe.efi"));
        Assert.That(r.GetString(DhcpOptionCode.BootFileName), Is.EqualTo("http://10.0.0.1:8080/boot/ipxe.efi"));
        Assert.That(r.Has(DhcpOptionCode.VendorSpecific), Is.False);
        Assert.That(r.Has(DhcpOptionCode.TftpServerName), Is.False);
    }

    [TestCase((ushort)11)]
    [TestCase((ushort)6)]
    [TestCase((ushort)2)]
    [TestCase((ushort)0x1234)]
    public void UnconfiguredOrUnknownArchitecture_IsDroppedWithReason_ButContactIsReported(ushort arch)
    {
        var o = Send(Packets.PxeDiscover(arch));
        Assert.That(o.Reply, Is.Null);
        Assert.That(o.DropReason, Does.Contain("ignored by the boot policy").And.Contain(arch.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(o.Contact?.Mac, Is.EqualTo(Packets.MacText));
    }

    [Test]
    public void Arm64_WhenConfigured_GetsItsBinary() =>
        Assert.That(Reply(Packets.PxeDiscover(11), s: Session(new DefaultBootPolicyOptions { Arm64BootFile = "ipxe-arm64.efi" })).Packet.BootFile, Is.EqualTo("ipxe-arm64.efi"));

    [Test]
    public void Offer_WithoutCiaddrOrRelay_IsBroadcastToPort68() =>
        Assert.That(Reply(Packets.PxeDiscover(0)).Destination, Is.EqualTo(new IPEndPoint(IPAddress.Broadcast, 68)));

    [Test]
    public void Offer_ThroughRelay_GoesToGiaddrPort67_WithGiaddrAndFlagsCopied()
    {
        var relay = IPAddress.Parse("192.168.5.1");
        var p = Packets.PxeDiscover(0) with { RelayAddress = relay, Flags = DhcpPacket.BroadcastFlag };
        var r = Reply(p);
        Assert.That(r.Destination, Is.EqualTo(new IPEndPoint(relay, 67)));
        Assert.That(r.Packet.RelayAddress, Is.EqualTo(relay));
        Assert.That(r.Packet.Flags, Is.EqualTo(DhcpPacket.BroadcastFlag));
        Assert.That(r.Packet.TransactionId, Is.EqualTo(p.TransactionId));
    }

    [Test]
    public void Discover_WithCiaddr_IsUnicastToCiaddr()
    {
        var ci = IPAddress.Parse("10.0.0.50");
        Assert.That(Reply(Packets.PxeDiscover(0) with { ClientAddress = ci }).Destination, Is.EqualTo(new IPEndPoint(ci, 68)));
    }

    [Test]
    public void Malformed_IsDroppedWithTheCodecReason()
    {
        var o = new ProxyDhcpSession(new ProxyDhcpOptions(Server), new DefaultBootPolicy()).Handle(new DhcpInbound(new byte[100], FromClient, 67));
        Assert.That(o.Reply, Is.Null);
        Assert.That(o.DropReason, Does.Contain("PacketTooShort"));
    }

    [Test]
    public void Contact_ReportsMacArchUuidFirmwareAndBootFile()
    {
        var c = Send(Packets.PxeDiscover(7)).Contact!;
        Assert.That((c.Mac, c.Architecture, c.Uuid, c.Firmware, c.BootFile),
            Is.EqualTo((Packets.MacText, (ClientArchitecture?)ClientArchitecture.EfiX64, (Guid?)new Guid(Packets.Uuid.AsSpan(1)), FirmwareKind.Uefi, (string?)"ipxe.efi")));
    }

    [Test]
    public void RealCaptures_AreAnsweredAsExpected()
    {
        var bios = Reply(Packets.Parse(TestData.BiosDiscover)).Packet;
        Assert.That(bios.BootFile, Is.EqualTo("http://10.0.0.1:8080/boot/52:54:00:12:34:56.ipxe"), "QEMU's ROM is iPXE: straight to the script");
        var ovmf = Pcap.ReadUdp(TestData.File("ovmf-uefi-x64.pcap"));
        var edk2 = Reply(Packets.Parse(ovmf.First(f => f.Number == 9).Payload));
        Assert.That(edk2.Packet.BootFile, Is.EqualTo("ipxe.efi"));
        Assert.That(edk2.Packet.Has(DhcpOptionCode.ClientMachineIdentifier), Is.True);
        var http = Reply(Packets.Parse(ovmf.First(f => f.Number == 13).Payload)).Packet;
        Assert.That((http.VendorClass, http.BootFile), Is.EqualTo(("HTTPClient", "http://10.0.0.1:8080/boot/ipxe.efi")));
    }
}
