using System.Diagnostics;
using System.Text.Json.Nodes;
using BareMetal.Interop.Tests.Dhcp;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;
using BareMetal.TestSupport.Boot;

namespace BareMetal.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 5's os-up state made real, with a real Linux: a stream-mode node sanboots over HTTP a disk that
/// holds Debian's kernel and a busybox initramfs (<see cref="LinuxBootDisk"/>), its /init brings the NIC
/// up and reports, and the deployment goes pxe -> bootloader -> streaming -> os-up. Once the OS's own
/// DHCP client (udhcpc) is what moves it (our full DHCP server sees a client that is not boot firmware),
/// once the agent route is (a static address: no DHCP to see, the reporter script from
/// <see cref="OsUpAgent.ScriptPath"/> calls <c>/boot/{mac}/os-up</c> with busybox wget).
/// </summary>
[NonParallelizable]
public class OsUpEndToEndTests
{
    /// <summary>Hard limit on QEMU's life. Under TCG: firmware + iPXE about 40 s, syslinux reading 10 MB through iPXE's HTTP disk, the kernel 10-30 s.</summary>
    private static readonly TimeSpan QemuLimit = TimeSpan.FromSeconds(240);

    /// <summary>Until /init's last line (it powers the machine off right after).</summary>
    private static readonly TimeSpan LinuxUpLimit = TimeSpan.FromSeconds(220);

    private static readonly TimeSpan ApiLimit = TimeSpan.FromSeconds(20);

    /// <summary>What /init prints last, after reporting; then it powers off.</summary>
    private const string UpMarker = "BareMetal linux: up";

    /// <summary>
    /// The test image's /init. Kernel arguments: <c>bm.ip=A/N</c> (a static address, no DHCP) and
    /// <c>bm.server=URL</c>; without bm.ip it asks DHCP (udhcpc, vendor class "udhcp 1.35.0") and reports
    /// to port 8080 of the DHCP server. Either way it runs the reporter script the server serves.
    /// </summary>
    internal const string Init = """
        #!/bin/busybox sh
        # BareMetal test image: a streamed Linux that says it came up, then powers off.
        /bin/busybox --install -s /bin
        export PATH=/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev 2>/dev/null
        echo "BareMetal linux: init started"
        . /lib/modules/load
        arg() { for a in $(cat /proc/cmdline); do case "$a" in "$1"=*) echo "${a#*=}";; esac; done; }
        ip link set lo up
        i=0
        while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 20 ]; do sleep 1; i=$((i+1)); done
        ip link set eth0 up
        server=$(arg bm.server)
        static=$(arg bm.ip)
        if [ -n "$static" ]; then
          ip addr add "$static" dev eth0
          i=0
          while [ "$(cat /sys/class/net/eth0/operstate)" != up ] && [ $i -lt 20 ]; do sleep 1; i=$((i+1)); done
          echo "BareMetal linux: static address $static, no DHCP"
        else
          printf '%s\n' '#!/bin/sh' \
            'if [ "$1" = bound ] || [ "$1" = renew ]; then' \
            '  ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface"; echo "$serverid" > /tmp/dhcp-server' \
            'fi' > /tmp/udhcpc.sh
          chmod +x /tmp/udhcpc.sh
          udhcpc -i eth0 -n -q -t 10 -T 2 -s /tmp/udhcpc.sh
          [ -z "$server" ] && server="http://$(cat /tmp/dhcp-server):8080"
        fi
        echo "BareMetal linux: reporting to $server"
        wget -q -O- "$server/boot/agent/os-up.sh" | sh
        echo "BareMetal linux: up"
        poweroff -f

        """;

    [Test]
    public async Task StreamNode_BootsARealLinuxOverHttp_AndItsDhcpClientMovesTheDeploymentToOsUp()
    {
        var clock = Stopwatch.StartNew();
        // The disk does not depend on the test network: it is built once and then comes from the cache.
        var disk = LinuxBootDisk.Build(new LinuxBootDiskSpec(Init, "quiet", ["e1000"]));
        var built = clock.Elapsed;
        await using var h = QemuPxeHarness.Create();
        var (server, api, data) = await StartAsync(h, disk);
        await using (server)
        using (api)
        using (data)
        {
            var mac = QemuPxeHarness.Mac;
            h.StartQemu(QemuFirmware.Bios, QemuLimit);
            Assert.That(await h.WaitForSerial(UpMarker, LinuxUpLimit), Is.True, $"the Linux never reported up:\n{h.SerialTail()}");
            var serial = DeploymentEndToEndTests.Unwrapped(h);
            Assert.That(serial, Does.Contain($"BareMetal: streaming {server.BaseUrl}/disk/linux.v1@525400b00701"));
            Assert.That(serial, Does.Contain("BareMetal linux: init started").And.Contain($"BareMetal linux: reporting to http://{h.HostAddress}:8080"));
            // Our DHCP saw the OS first; the agent that reported after it found the move made.
            Assert.That(serial, Does.Contain($"{OsUpAgent.ScriptBanner} node {mac} was already os-up"));

            var deployment = await DeploymentEndToEndTests.Eventually(async () => (await api.DeploymentsAsync(mac))[0]!,
                d => d["state"]?.GetValue<string>() == "os-up", ApiLimit);
            var history = deployment["history"]!.AsArray();
            Assert.Multiple(() =>
            {
                Assert.That(history.Select(s => s!["state"]!.GetValue<string>()), Is.EqualTo(new[] { "pxe", "bootloader", "streaming", "os-up" }), deployment.ToJsonString());
                Assert.That(history.Select(s => s!["source"]!.GetValue<string>()), Is.EqualTo(new[] { "dhcp", "boot-script", "disk", "dhcp" }), deployment.ToJsonString());
                Assert.That(history[3]!["detail"]?.GetValue<string>(), Does.StartWith("the OS asked DHCP for an address (vendor class 'udhcp "), deployment.ToJsonString());
                Assert.That(history.Select(s => s!["at"]!.GetValue<DateTimeOffset>()), Is.Ordered);
                Assert.That((deployment["mode"]?.GetValue<string>(), deployment["image"]?.GetValue<string>()), Is.EqualTo(("stream", "linux")));
                Assert.That(deployment["endedAt"], Is.Null, "os-up is not the end of a stream deployment");
                Assert.That(deployment["progress"]!["bytesStreamed"]!.GetValue<long>(), Is.GreaterThan(4L << 20), "the kernel and initramfs came over HTTP");
            });
            TestContext.Out.WriteLine($"Linux os-up over DHCP: disk {built.TotalSeconds:F1} s, whole test {clock.Elapsed.TotalSeconds:F1} s");
            LogLinuxLines(h);
        }
    }

    [Test]
    public async Task StreamNode_WithAStaticAddress_ReportsOsUpThroughTheAgentRoute()
    {
        var clock = Stopwatch.StartNew();
        await using var h = QemuPxeHarness.Create();
        // The kernel arguments name this run's network, so this disk is built per network (a few seconds; the kernel is cached).
        var disk = LinuxBootDisk.Build(new LinuxBootDiskSpec(Init, $"quiet bm.ip=10.213.{h.Subnet}.50/24 bm.server=http://{h.HostAddress}:8080", ["e1000"]));
        var (server, api, data) = await StartAsync(h, disk);
        await using (server)
        using (api)
        using (data)
        {
            var mac = QemuPxeHarness.Mac;
            h.StartQemu(QemuFirmware.Bios, QemuLimit);
            Assert.That(await h.WaitForSerial(UpMarker, LinuxUpLimit), Is.True, $"the Linux never reported up:\n{h.SerialTail()}");
            var serial = DeploymentEndToEndTests.Unwrapped(h);
            Assert.That(serial, Does.Contain($"BareMetal linux: static address 10.213.{h.Subnet}.50/24, no DHCP"));
            Assert.That(serial, Does.Contain($"{OsUpAgent.ScriptBanner} node {mac} is os-up"));

            var deployment = await DeploymentEndToEndTests.Eventually(async () => (await api.DeploymentsAsync(mac))[0]!,
                d => d["state"]?.GetValue<string>() == "os-up", ApiLimit);
            var history = deployment["history"]!.AsArray();
            Assert.Multiple(() =>
            {
                Assert.That(history.Select(s => s!["state"]!.GetValue<string>()), Is.EqualTo(new[] { "pxe", "bootloader", "streaming", "os-up" }), deployment.ToJsonString());
                Assert.That(history.Select(s => s!["source"]!.GetValue<string>()), Is.EqualTo(new[] { "dhcp", "boot-script", "disk", "node" }), deployment.ToJsonString());
                Assert.That(history[3]!["detail"]?.GetValue<string>(), Is.EqualTo($"the OS reported itself up (/boot/{mac}/os-up from 10.213.{h.Subnet}.50)"), deployment.ToJsonString());
            });
            var node = (await api.NodesAsync()).Single(n => n?["mac"]?.GetValue<string>() == mac)!;
            Assert.That(node["ip"]?.GetValue<string>(), Is.EqualTo($"10.213.{h.Subnet}.50"), "the report refreshed the node's address");
            TestContext.Out.WriteLine($"Linux os-up over the agent route: whole test {clock.Elapsed.TotalSeconds:F1} s");
            LogLinuxLines(h);
        }
    }

    /// <summary>What the booted Linux said on the serial console, for the test log.</summary>
    private static void LogLinuxLines(QemuPxeHarness h)
    {
        foreach (var line in File.ReadAllLines(h.SerialLog).Where(l => l.Contains("BareMetal linux", StringComparison.Ordinal) || l.Contains(OsUpAgent.ScriptBanner, StringComparison.Ordinal) || l.Contains("udhcpc", StringComparison.Ordinal)))
        {
            TestContext.Out.WriteLine("  serial: " + line.Trim());
        }
    }

    /// <summary>The server on the harness's network, the disk uploaded as "linux", the node added and assigned stream before it boots.</summary>
    private static async Task<(BareMetalServer Server, ServerApi Api, TempDir Data)> StartAsync(QemuPxeHarness h, string disk)
    {
        var data = new TempDir("e2e-osup");
        var password = DeploymentEndToEndTests.NewPassword();
        var server = await DeploymentEndToEndTests.StartServerAsync(h, data.Path, password);
        try
        {
            var api = await ServerApi.LogInAsync(server.HttpAddress!, password);
            JsonNode image = await api.UploadImageAsync(disk, "linux", "Debian kernel + busybox initramfs");
            Assert.That(image["virtualSize"]?.GetValue<long>(), Is.EqualTo(LinuxBootDisk.DefaultSize));
            await api.AddNodeAsync(QemuPxeHarness.Mac, "IntelX86Pc");
            await api.AssignAsync(QemuPxeHarness.Mac, "linux", "stream");
            return (server, api, data);
        }
        catch
        {
            await server.DisposeAsync();
            data.Dispose();
            throw;
        }
    }
}
