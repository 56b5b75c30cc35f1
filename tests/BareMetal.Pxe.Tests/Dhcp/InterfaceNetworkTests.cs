using System.Net;
using BareMetal.Pxe.Dhcp.Server;

namespace BareMetal.Pxe.Tests.Dhcp;

public class InterfaceNetworkTests
{
    // /proc/net/route as the kernel writes it on x86-64 (host byte order): eth1 has two default routes, eth0 one.
    private const string Routes = """
        Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
        eth0	00000000	0100A8C0	0003	0	0	100	00000000	0	0	0
        eth1	0000000A	00000000	0001	0	0	0	00FFFFFF	0	0	0
        eth1	00000000	FE00000A	0003	0	0	200	00000000	0	0	0
        eth1	00000000	FD00000A	0003	0	0	50	00000000	0	0	0
        eth2	0000000A	00000000	0001	0	0	0	00FFFFFF	0	0	0
        """;

    private const string ResolvConf = """
        # written by hand
        nameserver 127.0.0.53
        nameserver 10.0.0.53
        nameserver ::1
        nameserver 9.9.9.9
        domain old.example
        search lab.example other.example
        options edns0
        """;

    [Test]
    public void DefaultRoute_OfTheServingInterface_WithTheLowestMetric_IsTheRouter()
    {
        Assert.That(InterfaceNetwork.Parse("eth1", Routes, null).Router, Is.EqualTo(IPAddress.Parse("10.0.0.253")));
        Assert.That(InterfaceNetwork.Parse("eth0", Routes, null).Router, Is.EqualTo(IPAddress.Parse("192.168.0.1")));
    }

    [Test]
    public void InterfaceWithoutADefaultRoute_OrUnreadableFiles_GiveNothing()
    {
        Assert.That(InterfaceNetwork.Parse("eth2", Routes, ResolvConf).Router, Is.Null);
        Assert.That(InterfaceNetwork.Parse("eth1", null, null), Is.EqualTo(InterfaceNetwork.None).Using<InterfaceNetwork>((a, b) => a.Router == b.Router && a.DnsServers.Count == b.DnsServers.Count && a.Domain == b.Domain));
        Assert.That(InterfaceNetwork.Parse("eth1", "garbage\nmore garbage here and there", "nameserver banana").Router, Is.Null);
    }

    [Test]
    public void ResolvConf_GivesItsIpv4NameServersButNotLoopback_AndTheLastDomainOrSearch()
    {
        var n = InterfaceNetwork.Parse("eth1", Routes, ResolvConf);
        Assert.That(n.DnsServers, Is.EqualTo(new[] { IPAddress.Parse("10.0.0.53"), IPAddress.Parse("9.9.9.9") }));
        Assert.That(n.Domain, Is.EqualTo("lab.example"));
    }
}
