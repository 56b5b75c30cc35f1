using System.Collections.Concurrent;
using System.Net;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>
/// Real firmware against our DHCP: QEMU's iPXE ROM (BIOS) and OVMF's (UEFI) take our reply, fetch the
/// script URL we gave them from a stub HTTP server and print its marker on the serial console.
/// </summary>
[NonParallelizable]
public class QemuPxeDhcpTests
{
    private const string Marker = "BAREMETAL-DHCP-OK";
    private static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(150);

    private static async Task BootAndExpectScript(QemuPxeHarness h, DhcpServer dhcp, LineLogger log, QemuFirmware firmware)
    {
        var contacts = new ConcurrentQueue<DhcpClientContact>();
        dhcp.ClientContact += (_, c) => contacts.Enqueue(c);
        await using var http = new ScriptHttpServer(IPAddress.Parse(h.HostAddress), 8080, $"#!ipxe\necho {Marker} ${{mac}}\n");
        await dhcp.StartAsync();
        h.StartQemu(firmware, BootLimit);
        var seen = await h.WaitForSerial(Marker, BootLimit);
        Assert.That(seen, Is.True, $"no marker on the serial console.\nDHCP log: {string.Join("\n", log.Lines)}\nserial:\n{h.SerialTail()}");
        // iPXE percent-encodes the colons of the MAC in the request path.
        Assert.That(http.Paths.Select(Uri.UnescapeDataString), Does.Contain($"/boot/{QemuPxeHarness.Mac}.ipxe"));
        Assert.That(contacts.Any(c => c.Mac == QemuPxeHarness.Mac && c.Firmware == FirmwareKind.Ipxe), Is.True);
    }

    [Test]
    public async Task BiosIpxeRom_FullMode_BootsTheScriptUrlWeGave()
    {
        await using var h = QemuPxeHarness.Create();
        using var dir = new TempDir("dhcp-qemu");
        var log = new LineLogger("dhcp: ");
        await using var dhcp = new DhcpServer(new DhcpServerOptions
        {
            Mode = DhcpMode.Full,
            InterfaceName = h.HostInterface,
            DataDirectory = dir.Path,
            Full = new FullDhcpOptions
            {
                ServerAddress = IPAddress.Parse(h.HostAddress),
                RangeStart = IPAddress.Parse($"10.213.{h.Subnet}.100"),
                RangeEnd = IPAddress.Parse($"10.213.{h.Subnet}.120"),
            },
        }, null, logger: log);
        await BootAndExpectScript(h, dhcp, log, QemuFirmware.Bios);
    }

    [Test]
    public async Task UefiIpxe_ProxyModeBesideDnsmasq_BootsTheScriptUrlWeGave()
    {
        var dnsmasq = Peer.Require("dnsmasq", "dnsmasq-base");
        await using var h = QemuPxeHarness.Create();
        // dnsmasq plays the site's DHCP server: addresses only, no boot options.
        h.StartInNamespace(dnsmasq, ["--no-daemon", "--port=0", "--interface=br0", "--bind-interfaces", "--log-dhcp",
            $"--dhcp-range=10.213.{h.Subnet}.50,10.213.{h.Subnet}.60,255.255.255.0,1h",
            $"--dhcp-leasefile={Path.Combine(h.WorkDirectory, "dnsmasq.leases")}", $"--pid-file={Path.Combine(h.WorkDirectory, "dnsmasq.pid")}"], "dnsmasq");
        var log = new LineLogger("dhcp: ");
        await using var dhcp = new DhcpServer(new DhcpServerOptions { Mode = DhcpMode.Proxy, InterfaceName = h.HostInterface }, null, logger: log);
        await BootAndExpectScript(h, dhcp, log, QemuFirmware.Uefi);
    }
}
