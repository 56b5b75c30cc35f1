using System.Net;
using BareMetal.Pxe.Dhcp.Leases;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;
using BareMetal.TestSupport;

namespace BareMetal.Pxe.Tests.Dhcp;

/// <summary>The full DHCP server's lease lifecycle (RFC 2131 4.3), with a hand-moved clock.</summary>
public class FullDhcpSessionTests
{
    private static readonly IPAddress Server = IPAddress.Parse("10.5.0.1");
    private static readonly byte[] MacB = [0x52, 0x54, 0x00, 0xbb, 0xbb, 0xbb];
    private static readonly byte[] MacC = [0x52, 0x54, 0x00, 0xcc, 0xcc, 0xcc];
    private static readonly IPEndPoint FromClient = new(IPAddress.Any, 68);

    private ManualTimeProvider _clock = null!;
    private InMemoryLeaseStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _store = new InMemoryLeaseStore();
    }

    private static FullDhcpOptions Options(string first = "10.5.0.100", string last = "10.5.0.102") => new()
    {
        ServerAddress = Server,
        RangeStart = IPAddress.Parse(first),
        RangeEnd = IPAddress.Parse(last),
        Router = Server,
        DnsServers = [IPAddress.Parse("10.5.0.53")],
        DomainName = "lab",
        LeaseTime = TimeSpan.FromHours(1),
    };

    private FullDhcpSession Session(FullDhcpOptions? o = null, ILeaseStore? store = null) =>
        new(o ?? Options(), new DefaultBootPolicy(), store ?? _store, _clock);

    private static DhcpOutcome Send(FullDhcpSession s, DhcpPacket p, int port = 67, IPEndPoint? from = null) =>
        s.Handle(new DhcpInbound(p.Bytes(), from ?? FromClient, port));

    private static DhcpPacket ReplyOf(FullDhcpSession s, DhcpPacket p, DhcpMessageType expected)
    {
        var o = Send(s, p);
        Assert.That(o.Reply, Is.Not.Null, o.DropReason);
        Assert.That(o.Reply!.Packet.MessageType, Is.EqualTo(expected));
        Assert.That(o.Reply.Datagram, Has.Length.GreaterThanOrEqualTo(300));
        return o.Reply.Packet;
    }

    private static DhcpPacket Discover(byte[]? mac = null, params DhcpOption[] extra) => Packets.Request(DhcpMessageType.Discover, mac, extra: extra);

    private static DhcpPacket Select(IPAddress address, byte[]? mac = null, IPAddress? server = null) =>
        Packets.Request(DhcpMessageType.Request, mac, extra:
        [
            DhcpOption.Addresses(DhcpOptionCode.RequestedIpAddress, address),
            DhcpOption.Addresses(DhcpOptionCode.ServerIdentifier, server ?? Server),
        ]);

    private static DhcpPacket InitReboot(IPAddress address, byte[]? mac = null) =>
        Packets.Request(DhcpMessageType.Request, mac, extra: DhcpOption.Addresses(DhcpOptionCode.RequestedIpAddress, address));

    private IPAddress Bind(FullDhcpSession s, byte[]? mac = null)
    {
        var offer = ReplyOf(s, Discover(mac), DhcpMessageType.Offer);
        return ReplyOf(s, Select(offer.YourAddress, mac), DhcpMessageType.Ack).YourAddress;
    }

    [Test]
    public void Discover_OffersFirstFreeAddress_WithNetworkOptionsAndServerIdentifier()
    {
        var offer = ReplyOf(Session(), Discover(), DhcpMessageType.Offer);
        Assert.That(offer.YourAddress, Is.EqualTo(IPAddress.Parse("10.5.0.100")));
        Assert.That(offer.ServerIdentifier, Is.EqualTo(Server));
        Assert.That(offer.GetAddress(DhcpOptionCode.SubnetMask), Is.EqualTo(IPAddress.Parse("255.255.255.0")));
        Assert.That(offer.GetAddress(DhcpOptionCode.Router), Is.EqualTo(Server));
        Assert.That(offer.GetAddress(DhcpOptionCode.DomainNameServer), Is.EqualTo(IPAddress.Parse("10.5.0.53")));
        Assert.That(offer.GetAddress(DhcpOptionCode.BroadcastAddress), Is.EqualTo(IPAddress.Parse("10.5.0.255")));
        Assert.That(offer.GetString(DhcpOptionCode.DomainName), Is.EqualTo("lab"));
        Assert.That(offer.Get(DhcpOptionCode.LeaseTime), Is.EqualTo(new byte[] { 0, 0, 0x0e, 0x10 }));
        Assert.That(offer.Has(DhcpOptionCode.VendorClassIdentifier), Is.False, "no PXE options for a non-PXE client");
        Assert.That(offer.BootFile, Is.Empty);
    }

    private static FullDhcpOptions WithNetwork() => Options() with
    {
        Router = IPAddress.Parse("10.5.0.254"),
        DnsServers = [IPAddress.Parse("10.5.0.53"), IPAddress.Parse("10.5.0.54")],
        DomainName = "lab.example",
        NtpServers = [IPAddress.Parse("10.5.0.123")],
    };

    [Test]
    public void Discover_AskingForSomeNetworkOptions_GetsThoseOnly()
    {
        var asked = new DhcpOption(DhcpOptionCode.ParameterRequestList, [1, 3, 6]);
        var offer = ReplyOf(Session(WithNetwork()), Discover(extra: asked), DhcpMessageType.Offer);
        Assert.That(offer.GetAddress(DhcpOptionCode.Router), Is.EqualTo(IPAddress.Parse("10.5.0.254")));
        Assert.That(offer.Get(DhcpOptionCode.DomainNameServer), Is.EqualTo(new byte[] { 10, 5, 0, 53, 10, 5, 0, 54 }));
        Assert.That((offer.Has(DhcpOptionCode.DomainName), offer.Has(DhcpOptionCode.NtpServers)), Is.EqualTo((false, false)), "not asked for");
    }

    [Test]
    public void Request_AskingForNtpAndDomain_AcksWithThem_AndNothingConfiguredIsNeverSent()
    {
        var asked = new DhcpOption(DhcpOptionCode.ParameterRequestList, [1, 3, 6, 15, 42]);
        var s = Session(WithNetwork());
        var offer = ReplyOf(s, Discover(extra: asked), DhcpMessageType.Offer);
        var ack = ReplyOf(s, Select(offer.YourAddress).With(DhcpMessageType.Request, asked), DhcpMessageType.Ack);
        Assert.That(ack.GetString(DhcpOptionCode.DomainName), Is.EqualTo("lab.example"));
        Assert.That(ack.GetAddress(DhcpOptionCode.NtpServers), Is.EqualTo(IPAddress.Parse("10.5.0.123")));
        var bare = ReplyOf(Session(Options() with { Router = null, DnsServers = [], DomainName = null }), Discover(extra: asked), DhcpMessageType.Offer);
        Assert.That(new[] { DhcpOptionCode.Router, DhcpOptionCode.DomainNameServer, DhcpOptionCode.DomainName, DhcpOptionCode.NtpServers }.Select(bare.Has), Is.All.False);
    }

    [Test]
    public void RealOvmfPxeDiscover_GetsTheRouterDnsDomainAndNtpItAsksFor()
    {
        // EDK2's PxeBcDxe asks (option 55) for 3, 6, 15 and 42 among others: frame 9 of the OVMF capture.
        var discover = Pcap.ReadUdp(TestData.File("ovmf-uefi-x64.pcap")).Select(f => DhcpCodec.Read(f.Payload))
            .First(p => p.MessageType == DhcpMessageType.Discover && p.VendorClass!.StartsWith("PXEClient", StringComparison.Ordinal) && !p.Has(DhcpOptionCode.UserClass));
        var offer = ReplyOf(Session(WithNetwork()), discover, DhcpMessageType.Offer);
        var text = DhcpPacketText.Format(offer).Split('\n');
        Assert.That(text, Is.SupersetOf(new[]
        {
            "option 3 Router: 10.5.0.254",
            "option 6 DomainNameServer: 10.5.0.53 10.5.0.54",
            "option 15 DomainName: \"lab.example\"",
            "option 42 NtpServers: 10.5.0.123",
            "option 67 BootFileName: \"ipxe.efi\"",
        }));
    }

    [Test]
    public void Discover_HoldsTheOfferedAddress_SoTheNextClientGetsAnother()
    {
        var s = Session();
        var a = ReplyOf(s, Discover(), DhcpMessageType.Offer).YourAddress;
        var b = ReplyOf(s, Discover(MacB), DhcpMessageType.Offer).YourAddress;
        Assert.That(b, Is.Not.EqualTo(a));
        Assert.That(s.Leases.Single(l => l.Address.Equals(a)).State, Is.EqualTo(LeaseState.Offered));
    }

    [Test]
    public void Discover_WithRequestedFreeAddress_OffersIt() =>
        Assert.That(ReplyOf(Session(), Discover(null, DhcpOption.Addresses(DhcpOptionCode.RequestedIpAddress, IPAddress.Parse("10.5.0.102"))), DhcpMessageType.Offer).YourAddress,
            Is.EqualTo(IPAddress.Parse("10.5.0.102")));

    [Test]
    public void RequestSelecting_AcksAndBindsTheLease_AndSavesIt()
    {
        var s = Session();
        var a = Bind(s);
        var lease = s.Leases.Single();
        Assert.That((lease.Address, lease.State, lease.Mac), Is.EqualTo((a, LeaseState.Bound, Packets.MacText)));
        Assert.That(lease.ExpiresAt, Is.EqualTo(_clock.GetUtcNow() + TimeSpan.FromHours(1)));
        Assert.That(_store.Load().Single().State, Is.EqualTo(LeaseState.Bound));
    }

    [Test]
    public void RequestSelecting_ForAnotherClientsAddress_IsNakBroadcast()
    {
        var s = Session();
        var a = Bind(s);
        var o = Send(s, Select(a, MacB));
        Assert.That(o.Reply!.Packet.MessageType, Is.EqualTo(DhcpMessageType.Nak));
        Assert.That(o.Reply.Packet.YourAddress, Is.EqualTo(IPAddress.Any));
        Assert.That(o.Reply.Packet.ServerIdentifier, Is.EqualTo(Server));
        Assert.That(o.Reply.Destination, Is.EqualTo(new IPEndPoint(IPAddress.Broadcast, 68)));
    }

    [TestCase("10.5.0.150")]
    [TestCase("192.168.1.20")]
    [TestCase("10.5.0.1")]
    public void RequestInitReboot_ForAddressOutsideOurPool_IsNak(string address) =>
        Assert.That(ReplyOf(Session(), InitReboot(IPAddress.Parse(address)), DhcpMessageType.Nak).YourAddress, Is.EqualTo(IPAddress.Any));

    [Test]
    public void RequestInitReboot_ForOwnLease_IsAcked()
    {
        var s = Session();
        var a = Bind(s);
        Assert.That(ReplyOf(s, InitReboot(a), DhcpMessageType.Ack).YourAddress, Is.EqualTo(a));
    }

    [Test]
    public void RequestSelectingAnotherServer_FreesOurOfferSilently()
    {
        var s = Session();
        var a = ReplyOf(s, Discover(), DhcpMessageType.Offer).YourAddress;
        var o = Send(s, Select(a, server: IPAddress.Parse("10.5.0.9")));
        Assert.That(o.Reply, Is.Null);
        Assert.That(s.Leases, Is.Empty);
    }

    [Test]
    public void RequestRenewing_ExtendsTheLease_AndIsUnicastToCiaddr()
    {
        var s = Session();
        var a = Bind(s);
        _clock.Advance(TimeSpan.FromMinutes(30));
        var renew = Packets.Request(DhcpMessageType.Request, ciaddr: a);
        var o = Send(s, renew, from: new IPEndPoint(a, 68));
        Assert.That(o.Reply!.Packet.MessageType, Is.EqualTo(DhcpMessageType.Ack));
        Assert.That(o.Reply.Packet.YourAddress, Is.EqualTo(a));
        Assert.That(o.Reply.Packet.ClientAddress, Is.EqualTo(a));
        Assert.That(o.Reply.Destination, Is.EqualTo(new IPEndPoint(a, 68)));
        Assert.That(s.Leases.Single().ExpiresAt, Is.EqualTo(_clock.GetUtcNow() + TimeSpan.FromHours(1)));
    }

    [Test]
    public void RequestRebinding_ForAddressHeldByAnother_IsNak()
    {
        var s = Session();
        var a = Bind(s);
        Assert.That(ReplyOf(s, Packets.Request(DhcpMessageType.Request, MacB, ciaddr: a), DhcpMessageType.Nak).MessageType, Is.EqualTo(DhcpMessageType.Nak));
    }

    [Test]
    public void Request_NamingNoAddress_IsDropped() =>
        Assert.That(Send(Session(), Packets.Request(DhcpMessageType.Request)).Reply, Is.Null);

    [Test]
    public void Release_FreesTheAddressForTheNextClient()
    {
        var s = Session();
        var a = Bind(s);
        Assert.That(Send(s, Packets.Request(DhcpMessageType.Release, ciaddr: a, extra: DhcpOption.Addresses(DhcpOptionCode.ServerIdentifier, Server))).Reply, Is.Null);
        Assert.That(s.Leases, Is.Empty);
        Assert.That(ReplyOf(s, Discover(MacB), DhcpMessageType.Offer).YourAddress, Is.EqualTo(a));
    }

    [Test]
    public void Release_ByAnotherMac_DoesNothing()
    {
        var s = Session();
        var a = Bind(s);
        Send(s, Packets.Request(DhcpMessageType.Release, MacB, ciaddr: a));
        Assert.That(s.Leases.Single().State, Is.EqualTo(LeaseState.Bound));
    }

    [Test]
    public void Decline_QuarantinesTheAddress_UntilTheHoldTimePasses()
    {
        var s = Session();
        var a = Bind(s);
        Send(s, Packets.Request(DhcpMessageType.Decline, extra: [DhcpOption.Addresses(DhcpOptionCode.RequestedIpAddress, a), DhcpOption.Addresses(DhcpOptionCode.ServerIdentifier, Server)]));
        Assert.That(s.Leases.Single().State, Is.EqualTo(LeaseState.Declined));
        Assert.That(ReplyOf(s, Discover(), DhcpMessageType.Offer).YourAddress, Is.Not.EqualTo(a), "not even the decliner gets it back");
        Assert.That(ReplyOf(s, Discover(MacB), DhcpMessageType.Offer).YourAddress, Is.Not.EqualTo(a));
        _clock.Advance(TimeSpan.FromMinutes(11));
        Assert.That(ReplyOf(s, Discover(MacC), DhcpMessageType.Offer).YourAddress, Is.EqualTo(a));
    }

    [Test]
    public void Inform_GetsAckWithoutAddressOrLeaseTime_UnicastToCiaddr()
    {
        var ci = IPAddress.Parse("10.5.0.77");
        var o = Send(Session(), Packets.Request(DhcpMessageType.Inform, ciaddr: ci), from: new IPEndPoint(ci, 68));
        var r = o.Reply!;
        Assert.That(r.Packet.MessageType, Is.EqualTo(DhcpMessageType.Ack));
        Assert.That(r.Packet.YourAddress, Is.EqualTo(IPAddress.Any));
        Assert.That(r.Packet.Has(DhcpOptionCode.LeaseTime), Is.False);
        Assert.That(r.Destination, Is.EqualTo(new IPEndPoint(ci, 68)));
    }

    [Test]
    public void Reservation_GivesTheReservedAddress_AndNeverToAnotherClient()
    {
        var reserved = IPAddress.Parse("10.5.0.200");
        var s = Session(Options() with { Reservations = new Dictionary<string, IPAddress> { ["52-54-00-BB-BB-BB"] = reserved, ["52:54:00:cc:cc:cc"] = IPAddress.Parse("10.5.0.100") } });
        Assert.That(Bind(s, MacB), Is.EqualTo(reserved), "reservations may lie outside the range");
        Assert.That(ReplyOf(s, Discover(), DhcpMessageType.Offer).YourAddress, Is.EqualTo(IPAddress.Parse("10.5.0.101")), "10.5.0.100 is reserved for C");
        Assert.That(ReplyOf(s, InitReboot(reserved), DhcpMessageType.Nak).MessageType, Is.EqualTo(DhcpMessageType.Nak));
        Assert.That(ReplyOf(s, InitReboot(IPAddress.Parse("10.5.0.101"), MacB), DhcpMessageType.Nak).MessageType, Is.EqualTo(DhcpMessageType.Nak), "a reserved client gets only its address");
    }

    [Test]
    public void Leases_PersistToJson_AndAreReloadedByANewSession()
    {
        using var dir = new TempDir("dhcp-leases");
        var store = new JsonFileLeaseStore(dir.Path);
        var a = Bind(Session(store: store));
        Assert.That(File.Exists(Path.Combine(dir.Path, JsonFileLeaseStore.FileName)), Is.True);
        Assert.That(File.Exists(Path.Combine(dir.Path, JsonFileLeaseStore.FileName + ".tmp")), Is.False);
        var restarted = Session(store: new JsonFileLeaseStore(dir.Path));
        Assert.That(restarted.Leases.Single().Address, Is.EqualTo(a));
        Assert.That(ReplyOf(restarted, Discover(), DhcpMessageType.Offer).YourAddress, Is.EqualTo(a), "same client, same address");
        Assert.That(ReplyOf(restarted, Discover(MacB), DhcpMessageType.Offer).YourAddress, Is.Not.EqualTo(a));
    }

    [Test]
    public void UnansweredOffer_ExpiresAfterTheHoldTime_AndTheAddressIsReclaimed()
    {
        var s = Session(Options("10.5.0.100", "10.5.0.100"));
        ReplyOf(s, Discover(), DhcpMessageType.Offer);
        Assert.That(Send(s, Discover(MacB)).DropReason, Does.Contain("exhausted"));
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.That(ReplyOf(s, Discover(MacB), DhcpMessageType.Offer).YourAddress, Is.EqualTo(IPAddress.Parse("10.5.0.100")));
    }

    [Test]
    public void BoundLease_ExpiresAfterLeaseTime_AndTimerSweepsAndSaves()
    {
        var s = Session(Options("10.5.0.100", "10.5.0.100"));
        Bind(s);
        _clock.Advance(TimeSpan.FromMinutes(59));
        s.OnTimer();
        Assert.That(s.Leases, Has.Count.EqualTo(1));
        Assert.That(Send(s, Discover(MacB)).Reply, Is.Null);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var saves = _store.SaveCount;
        s.OnTimer();
        Assert.That(s.Leases, Is.Empty);
        Assert.That(_store.SaveCount, Is.EqualTo(saves + 1));
        Assert.That(_store.Load(), Is.Empty);
        Assert.That(Bind(s, MacB), Is.EqualTo(IPAddress.Parse("10.5.0.100")));
    }

    [Test]
    public void PxeClient_GetsAddressAndBootOptions()
    {
        var offer = ReplyOf(Session(), Packets.PxeDiscover(7), DhcpMessageType.Offer);
        Assert.That(offer.YourAddress, Is.EqualTo(IPAddress.Parse("10.5.0.100")));
        Assert.That(offer.VendorClass, Is.EqualTo("PXEClient"));
        Assert.That((offer.BootFile, offer.GetString(DhcpOptionCode.BootFileName)), Is.EqualTo(("ipxe.efi", "ipxe.efi")));
        Assert.That(offer.Get(DhcpOptionCode.VendorSpecific), Is.EqualTo(new byte[] { 6, 1, 8, 255 }));
        Assert.That(offer.Get(DhcpOptionCode.ClientMachineIdentifier), Is.EqualTo(Packets.Uuid));
        Assert.That(offer.ServerAddress, Is.EqualTo(Server));
    }

    [Test]
    public void OsDhcpClient_GetsAnAddressWithoutBootOptions_AndItsContactSaysWhoAsked()
    {
        var vendor = DhcpOption.String(DhcpOptionCode.VendorClassIdentifier, "udhcp 1.35.0");
        var s = Session();
        var offer = Send(s, Packets.Request(DhcpMessageType.Discover, extra: vendor));
        var request = Send(s, Packets.Request(DhcpMessageType.Request, extra: [vendor, DhcpOption.Addresses(DhcpOptionCode.RequestedIpAddress, offer.Reply!.Packet.YourAddress)]));
        Assert.That(request.Reply!.Packet.MessageType, Is.EqualTo(DhcpMessageType.Ack));
        Assert.That((request.Reply.Packet.BootFile, request.Reply.Packet.Has(DhcpOptionCode.BootFileName)), Is.EqualTo(("", false)));
        // Provisioning tells the OS's DHCP from firmware by this contact (the streamed OS came up).
        foreach (var (o, type) in new[] { (offer, DhcpMessageType.Discover), (request, DhcpMessageType.Request) })
        {
            Assert.That((o.Contact?.Mac, o.Contact?.Firmware, o.Contact?.VendorClass, o.Contact?.MessageType, o.Contact?.BootFile),
                Is.EqualTo((Packets.MacText, (FirmwareKind?)FirmwareKind.Other, "udhcp 1.35.0", (DhcpMessageType?)type, (string?)null)));
            Assert.That(o.Contact!.Address, Is.EqualTo(IPAddress.Parse("10.5.0.100")));
        }
    }

    [Test]
    public void PxeClient_OfUnknownArchitecture_IsDropped() =>
        Assert.That(Send(Session(), Packets.PxeDiscover(0x0b0b)).DropReason, Does.Contain("ignored by the boot policy"));

    [Test]
    public void RequestOnPort4011_IsAnsweredAsABootServer()
    {
        var from = new IPEndPoint(IPAddress.Parse("10.5.0.100"), 68);
        var o = Send(Session(), Packets.PxeDiscover(7).With(DhcpMessageType.Request) with { ClientAddress = from.Address }, DhcpPorts.PxeBootServer, from);
        Assert.That(o.Reply!.Packet.MessageType, Is.EqualTo(DhcpMessageType.Ack));
        Assert.That(o.Reply.Destination, Is.EqualTo(from));
    }

    [Test]
    public void ServerAddressInsideRange_IsNeverOffered()
    {
        var s = Session(Options("10.5.0.1", "10.5.0.2"));
        Assert.That(ReplyOf(s, Discover(), DhcpMessageType.Offer).YourAddress, Is.EqualTo(IPAddress.Parse("10.5.0.2")));
    }

    [Test]
    public void Constructor_RangeOutsideSubnet_Throws() =>
        Assert.Throws<ArgumentException>(() => Session(Options("10.6.0.1", "10.6.0.9")));
}
