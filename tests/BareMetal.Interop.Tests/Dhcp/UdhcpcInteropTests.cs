using System.Collections.Concurrent;
using System.Net;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>
/// busybox udhcpc, a real DHCP client, inside a network namespace against our full-mode server bound
/// (SO_BINDTODEVICE) to the host end of a veth pair.
/// </summary>
[NonParallelizable]
public class UdhcpcInteropTests
{
    private static async Task<Dictionary<string, string>> RunUdhcpc(NetworkNamespace ns, DhcpServer server, LineLogger log, TempDir dir, params string[] extra)
    {
        await server.StartAsync();
        return await Task.Run(() => Udhcpc.Lease(ns, dir, "lease", () => $"server log: {string.Join("\n", log.Lines)}", extra));
    }

    private static DhcpServer FullServer(NetworkNamespace ns, TempDir dir, LineLogger log) => new(new DhcpServerOptions
    {
        Mode = DhcpMode.Full,
        InterfaceName = ns.HostInterface,
        DataDirectory = dir.Path,
        Full = new FullDhcpOptions
        {
            ServerAddress = IPAddress.Parse(ns.HostAddress),
            RangeStart = IPAddress.Parse($"10.213.{ns.Subnet}.100"),
            RangeEnd = IPAddress.Parse($"10.213.{ns.Subnet}.120"),
            Router = IPAddress.Parse(ns.HostAddress),
            LeaseTime = TimeSpan.FromMinutes(10),
        },
    }, null, logger: log);

    [Test]
    public async Task Udhcpc_GetsAnAddressFromOurFullServer_AndTheLeaseIsPersisted()
    {
        using var ns = NetworkNamespace.CreateWithVeth();
        using var dir = new TempDir("dhcp-udhcpc");
        var log = new LineLogger("dhcp: ");
        await using var server = FullServer(ns, dir, log);
        var env = await RunUdhcpc(ns, server, log, dir);
        Assert.That(env["ip"], Is.EqualTo($"10.213.{ns.Subnet}.100"));
        Assert.That(env["serverid"], Is.EqualTo(ns.HostAddress));
        Assert.That(env["subnet"], Is.EqualTo("255.255.255.0"));
        Assert.That(env["router"].Trim(), Is.EqualTo(ns.HostAddress));
        Assert.That(env["lease"], Is.EqualTo("600"));
        Assert.That(env.ContainsKey("boot_file"), Is.False, "a plain client gets no boot file");
        Assert.That(File.ReadAllText(Path.Combine(dir.Path, "dhcp-leases.json")), Does.Contain("\"state\": \"Bound\"").And.Contain($"10.213.{ns.Subnet}.100"));
    }

    [Test]
    public async Task Udhcpc_AsPxeClient_SeesBootFileNextServerAndOption43()
    {
        using var ns = NetworkNamespace.CreateWithVeth();
        using var dir = new TempDir("dhcp-udhcpc");
        var log = new LineLogger("dhcp: ");
        await using var server = FullServer(ns, dir, log);
        var contacts = new ConcurrentQueue<DhcpClientContact>();
        server.ClientContact += (_, c) => contacts.Enqueue(c);
        var env = await RunUdhcpc(ns, server, log, dir,
            "-V", "PXEClient:Arch:00000:UNDI:002001",
            "-x", "0x5d:0000",
            "-x", "0x61:00112233445566778899aabbccddeeff01",
            "-O", "tftp", "-O", "bootfile", "-O", "43", "-O", "60", "-O", "97");
        Assert.That(env["boot_file"], Is.EqualTo("undionly.kpxe"), "BOOTP file field");
        Assert.That(env["bootfile"], Is.EqualTo("undionly.kpxe"), "option 67");
        Assert.That(env["siaddr"], Is.EqualTo(ns.HostAddress));
        Assert.That(env["tftp"], Is.EqualTo(ns.HostAddress), "option 66");
        Assert.That(env["opt43"], Is.EqualTo("060108ff"), "PXE discovery control 8, terminated");
        Assert.That(env["vendor"], Is.EqualTo("PXEClient"), "option 60");
        Assert.That(env["opt97"], Is.EqualTo("00112233445566778899aabbccddeeff01"), "option 97 echoed");
        var discover = contacts.First(c => c.MessageType == BareMetal.Pxe.Dhcp.Wire.DhcpMessageType.Discover);
        Assert.That(discover.Firmware, Is.EqualTo(BareMetal.Pxe.Dhcp.Policy.FirmwareKind.Bios));
        Assert.That(discover.Uuid, Is.Not.Null);
    }
}
