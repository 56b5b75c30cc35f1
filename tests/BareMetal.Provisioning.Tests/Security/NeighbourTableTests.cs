using System.Net;
using BareMetal.Provisioning.Core.Security;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Security;

public class NeighbourTableTests
{
    // As /proc/net/arp shows it (a 6.1 kernel): one complete entry, one incomplete, one permanent on another device.
    private const string Arp = """
        IP address       HW type     Flags       HW address            Mask     Device
        10.213.1.50      0x1         0x2         52:54:00:b0:07:01     *        br-bm1
        10.213.1.51      0x1         0x0         00:00:00:00:00:00     *        br-bm1
        192.168.7.9      0x1         0x6         52:54:00:b0:07:02     *        eth0

        """;

    [Test]
    public void Parse_KeepsCompleteEntriesOnly()
    {
        var entries = NeighbourTable.Parse(Arp);
        Assert.That(entries, Is.EqualTo(new[]
        {
            new NeighbourEntry(IPAddress.Parse("10.213.1.50"), "52:54:00:b0:07:01", "br-bm1"),
            new NeighbourEntry(IPAddress.Parse("192.168.7.9"), "52:54:00:b0:07:02", "eth0"),
        }));
    }

    [TestCase("")]
    [TestCase("header only\n")]
    [TestCase("h\n10.0.0.1 0x1 0x2\n")]
    [TestCase("h\nnot-an-ip 0x1 0x2 52:54:00:00:00:01 * eth0\n")]
    [TestCase("h\n10.0.0.1 0x1 zz 52:54:00:00:00:01 * eth0\n")]
    [TestCase("h\n10.0.0.1 0x1 0x2 not-a-mac * eth0\n")]
    [TestCase("h\n::1 0x1 0x2 52:54:00:00:00:01 * eth0\n")]
    public void Parse_SkipsWhatItCannotRead(string text) => Assert.That(NeighbourTable.Parse(text), Is.Empty);

    [Test]
    public void Verifier_PinnedBeatsLease_LeaseBeatsNeighbour_AndTheInterfaceCounts()
    {
        var time = new ManualTime();
        var reads = 0;
        string? iface = "br-bm1";
        var v = new HostAddressVerifier(
            a => a.Equals(IPAddress.Parse("10.213.1.60")) ? "52:54:00:b0:07:09" : null,
            () => { reads++; return NeighbourTable.Parse(Arp); },
            () => iface,
            time);
        var node = "52:54:00:b0:07:01";
        Assert.Multiple(() =>
        {
            Assert.That(v.Verify(node, IPAddress.Parse("10.213.1.50"), null), Is.EqualTo(AddressVerdict.Match), "its neighbour entry");
            Assert.That(v.Verify("52:54:00:b0:07:09", IPAddress.Parse("10.213.1.50"), null), Is.EqualTo(AddressVerdict.Mismatch), "another MAC answers for it");
            Assert.That(v.Verify("52:54:00:b0:07:09", IPAddress.Parse("10.213.1.60"), null), Is.EqualTo(AddressVerdict.Match), "our lease");
            Assert.That(v.Verify(node, IPAddress.Parse("10.213.1.60"), null), Is.EqualTo(AddressVerdict.Mismatch), "leased to another MAC");
            Assert.That(v.Verify(node, IPAddress.Parse("10.213.1.60"), "10.213.1.60"), Is.EqualTo(AddressVerdict.Match), "the operator's pin wins");
            Assert.That(v.Verify(node, IPAddress.Parse("10.213.1.50"), "10.213.1.99"), Is.EqualTo(AddressVerdict.Mismatch), "pinned elsewhere");
            Assert.That(v.Verify("52:54:00:b0:07:02", IPAddress.Parse("192.168.7.9"), null), Is.EqualTo(AddressVerdict.Unknown), "an entry on another interface");
            Assert.That(v.Verify(node, IPAddress.Loopback, null), Is.EqualTo(AddressVerdict.Unknown));
            Assert.That(v.Verify(node, IPAddress.Parse("10.213.1.50").MapToIPv6(), null), Is.EqualTo(AddressVerdict.Match), "IPv4-mapped");
        });
        iface = null;
        Assert.That(v.Verify("52:54:00:b0:07:02", IPAddress.Parse("192.168.7.9"), null), Is.EqualTo(AddressVerdict.Match), "no serving interface: any");
    }

    [Test]
    public void Verifier_MissesReReadTheTable_AtMostEvery100Ms()
    {
        var time = new ManualTime();
        var reads = 0;
        var v = new HostAddressVerifier(_ => null, () => { reads++; return []; }, () => null, time);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.That(v.Verify("52:54:00:00:00:01", IPAddress.Parse("10.0.0.1"), null), Is.EqualTo(AddressVerdict.Unknown));
        }
        Assert.That(reads, Is.EqualTo(1), "10 000 guesses in one instant read the table once");
        time.Advance(HostAddressVerifier.MissRefresh);
        v.Verify("52:54:00:00:00:01", IPAddress.Parse("10.0.0.1"), null);
        Assert.That(reads, Is.EqualTo(2));
    }
}
