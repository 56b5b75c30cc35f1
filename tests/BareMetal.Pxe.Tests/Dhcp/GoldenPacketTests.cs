using System.Text;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Tests.Dhcp;

/// <summary>
/// Packets captured once from real firmware (QEMU's iPXE ROM under SeaBIOS, OVMF's PXE and HTTP boot;
/// dnsmasq answered; see testdata/README.md) parsed and compared with the committed text. A mismatch means
/// the codec reads real firmware differently than before: check the diff against tshark before changing
/// the .parsed file (BAREMETAL_UPDATE_GOLDEN=1 rewrites it).
/// </summary>
public class GoldenPacketTests
{
    [TestCase("qemu-ipxe-bios")]
    [TestCase("ovmf-uefi-x64")]
    public void Capture_ParsesToTheCommittedText(string name)
    {
        var sb = new StringBuilder();
        foreach (var f in Pcap.ReadUdp(TestData.File(name + ".pcap")))
        {
            sb.Append($"# frame {f.Number} udp {f.SourcePort} -> {f.DestinationPort}, {f.Payload.Length} bytes\n");
            sb.Append(DhcpPacketText.Format(DhcpCodec.Read(f.Payload)));
            sb.Append('\n');
        }
        var parsed = TestData.File(name + ".parsed");
        if (Environment.GetEnvironmentVariable("BAREMETAL_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(parsed, sb.ToString());
        }
        Assert.That(sb.ToString(), Is.EqualTo(File.ReadAllText(parsed)));
    }

    [Test]
    public void IpxeBiosDiscover_IsBiosArchWithIpxeUserClassAndOption175()
    {
        var p = DhcpCodec.Read(TestData.BiosDiscover);
        Assert.That(p.MessageType, Is.EqualTo(DhcpMessageType.Discover));
        Assert.That(p.VendorClass, Is.EqualTo("PXEClient:Arch:00000:UNDI:002001"));
        Assert.That(p.Architectures, Is.EqualTo(new[] { ClientArchitecture.IntelX86Pc }));
        Assert.That(p.UserClasses, Is.EqualTo(new[] { "iPXE" }));
        Assert.That(p.Has(DhcpOptionCode.IpxeEncapsulated), Is.True);
        Assert.That(p.Mac, Is.EqualTo("52:54:00:12:34:56"));
        var boot = BootRequest.From(p, System.Net.IPAddress.Loopback);
        Assert.That((boot.IsIpxe, boot.Firmware), Is.EqualTo((true, FirmwareKind.Ipxe)));
    }

    [Test]
    public void OvmfCapture_HasPxeArch7AndHttpClientArch16()
    {
        var packets = Pcap.ReadUdp(TestData.File("ovmf-uefi-x64.pcap")).Where(f => f.DestinationPort == 67).Select(f => DhcpCodec.Read(f.Payload)).ToList();
        // Frames 1-8 come from QEMU's iPXE EFI ROM (user class iPXE); frame 9 on is EDK2's own PxeBcDxe.
        var pxe = packets.First(p => p.VendorClass!.StartsWith("PXEClient", StringComparison.Ordinal) && !p.Has(DhcpOptionCode.UserClass));
        Assert.That(pxe.IsBroadcast, Is.True, "EDK2 sets the broadcast flag");
        Assert.That(pxe.Architectures, Is.EqualTo(new[] { ClientArchitecture.EfiX64 }));
        Assert.That(pxe.ClientUuid, Is.Not.Null, "OVMF sends option 97");
        Assert.That(BootRequest.From(pxe, System.Net.IPAddress.Loopback).Firmware, Is.EqualTo(FirmwareKind.Uefi));
        var http = packets.First(p => p.VendorClass!.StartsWith("HTTPClient", StringComparison.Ordinal));
        Assert.That(http.Architectures, Is.EqualTo(new[] { ClientArchitecture.EfiX64Http }));
        Assert.That(BootRequest.From(http, System.Net.IPAddress.Loopback).Firmware, Is.EqualTo(FirmwareKind.UefiHttp));
        Assert.That(packets.Any(p => p.MessageType == DhcpMessageType.Request), Is.True, "the capture holds a REQUEST too");
    }

    [Test]
    public void RealRequests_CarryRequestedAddressAndOurServerIdentifierOfTheOffer()
    {
        var frames = Pcap.ReadUdp(TestData.File("qemu-ipxe-bios.pcap"));
        var request = frames.Select(f => DhcpCodec.Read(f.Payload)).First(p => p.MessageType == DhcpMessageType.Request);
        Assert.That(request.RequestedAddress, Is.Not.Null);
        Assert.That(request.ServerIdentifier?.ToString(), Is.EqualTo("10.99.0.1"));
    }
}
