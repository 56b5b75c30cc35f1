using System.Net;
using BareMetal.Interop.Tests.Dhcp;
using BareMetal.Provisioning.Web;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.EndToEnd;

/// <summary>
/// A machine PXE-boots against the whole server (`baremetal serve` in-process: our DHCP, TFTP and
/// HTTP), on a tap device in a namespace the harness creates, and we read its serial console.
/// Unassigned nodes get the wait-and-retry script, whose first line is the marker.
/// </summary>
[NonParallelizable]
public class PxeBootEndToEndTests
{
    private static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(180);

    private static async Task BootAgainstWholeServer(QemuFirmware firmware, DhcpMode mode, string? siteDhcp = null, bool tftp = true)
    {
        await using var h = QemuPxeHarness.Create();
        if (siteDhcp is not null)
        {
            // dnsmasq plays the site's DHCP server (addresses only) beside our ProxyDHCP.
            h.StartInNamespace(siteDhcp, ["--no-daemon", "--port=0", "--interface=br0", "--bind-interfaces",
                $"--dhcp-range=10.213.{h.Subnet}.50,10.213.{h.Subnet}.60,255.255.255.0,1h",
                $"--dhcp-leasefile={Path.Combine(h.WorkDirectory, "dnsmasq.leases")}", $"--pid-file={Path.Combine(h.WorkDirectory, "dnsmasq.pid")}"], "dnsmasq");
        }
        using var data = new TempDir("e2e-data");
        var host = IPAddress.Parse(h.HostAddress);
        var options = new ServeOptions
        {
            DataDirectory = data.Path,
            Http = new IPEndPoint(host, 8080),
            // Firmware asks TFTP on port 69 of the server DHCP names; binding only the boot network's address.
            Tftp = tftp ? new IPEndPoint(host, 69) : null,
            Nbd = null,
            Iscsi = null,
            Dhcp = mode,
            DhcpInterface = h.HostInterface,
            DhcpRange = (IPAddress.Parse($"10.213.{h.Subnet}.100"), IPAddress.Parse($"10.213.{h.Subnet}.120")),
        };
        await using var server = new BareMetalServer(options);
        await server.StartAsync(CancellationToken.None);
        h.StartQemu(firmware, BootLimit);
        var marker = $"BareMetal: node {QemuPxeHarness.Mac} is not assigned yet";
        var seen = await h.WaitForSerial(marker, BootLimit);
        Assert.That(seen, Is.True, $"no '{marker}' on the serial console:\n{h.SerialTail()}");
    }

    [Test]
    public Task BiosIpxeRom_FullDhcp_GetsItsBootScriptFromOurHttp() =>
        BootAgainstWholeServer(QemuFirmware.Bios, DhcpMode.Full);

    [Test]
    public Task UefiNativePxe_FullDhcp_FetchesIpxeOverOurTftp_ThenItsBootScript() =>
        BootAgainstWholeServer(QemuFirmware.UefiNativePxe, DhcpMode.Full);

    [Test]
    public Task UefiNativePxe_ProxyDhcpBesideDnsmasq_FetchesIpxeOverOurTftp_ThenItsBootScript() =>
        BootAgainstWholeServer(QemuFirmware.UefiNativePxe, DhcpMode.Proxy, Peer.Require("dnsmasq", "dnsmasq-base"));

    /// <summary>
    /// No TFTP at all: OVMF's PXE attempt fails, it goes on to UEFI HTTP boot, our DHCP answers that with
    /// option 60 HTTPClient and a URL, and ipxe.efi comes from our HTTP server (HEAD for the size, then GET).
    /// </summary>
    [Test]
    public Task UefiHttpBoot_FullDhcp_FetchesIpxeOverOurHttp_ThenItsBootScript() =>
        BootAgainstWholeServer(QemuFirmware.UefiNativePxe, DhcpMode.Full, tftp: false);
}
