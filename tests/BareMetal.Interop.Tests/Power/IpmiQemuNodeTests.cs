using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using BareMetal.Provisioning.Power;
using BareMetal.Provisioning.Power.Ipmi;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Power;

/// <summary>
/// ipmi_sim as the BMC of a real QEMU node (TCG): our IPMI client sets the next boot to the network and
/// powers on; the node is a QEMU process started with the boot order the BMC holds, answering on QMP;
/// power-off ends it.
/// </summary>
[NonParallelizable]
public class IpmiQemuNodeTests
{
    [TearDown]
    public void NoPasswordInAnyText() => PasswordAudit.AssertClean();

    [Test]
    public async Task PowerOn_AfterBootDevicePxe_StartsAQemuNodeThatBootsFromTheNetwork_AndPowerOffStopsIt()
    {
        var qemu = Peer.Require("qemu-system-x86_64", "qemu-system-x86");
        // -S: the CPU stays stopped (no firmware to run); the boot order is what the BMC was told.
        using var sim = new IpmiSim($"{qemu} -accel tcg -m 64 -display none -nodefaults -S -boot order=$([ \"$boot\" = pxe ] && echo n || echo c) -qmp unix:$dir/qmp.sock,server=on,wait=off");
        await using var ours = new IpmiPowerDriver(new IpmiBmcOptions
        {
            Host = "127.0.0.1",
            Port = sim.Port,
            Credentials = new BmcCredentials(IpmiSim.User, IpmiSim.Password),
        }, PasswordAudit.Logger);
        var ct = CancellationToken.None;
        await ours.SetNextBootAsync(BootDevice.Network, persistent: false, ct);
        await ours.PowerOnAsync(ct);
        Assert.That(await ours.GetPowerStateAsync(ct), Is.EqualTo(PowerState.On));
        // The power program forks and then execs QEMU: wait for the exec.
        var cmdline = "";
        var watch = Stopwatch.StartNew();
        while (!cmdline.Contains("qemu", StringComparison.Ordinal) && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
            cmdline = File.ReadAllText($"/proc/{sim.NodePid}/cmdline").Replace('\0', ' ');
        }
        Assert.That(cmdline, Does.Contain("qemu-system-x86_64").And.Contain("order=n"));
        var status = await QmpQueryStatusAsync(Path.Combine(sim.WorkDirectory, "qmp.sock"));
        Assert.That(status, Does.Contain("\"status\": \"prelaunch\"").Or.Contain("\"status\":\"prelaunch\"").Or.Contain("paused"));

        await ours.PowerOffAsync(ct);
        Assert.That(await ours.GetPowerStateAsync(ct), Is.EqualTo(PowerState.Off));
        Assert.That(sim.NodeRunning, Is.False);
    }

    private static async Task<string> QmpQueryStatusAsync(string socketPath)
    {
        var watch = Stopwatch.StartNew();
        while (!File.Exists(socketPath))
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail("QEMU's QMP socket did not appear");
            }
            await Task.Delay(50);
        }
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        var greeting = await reader.ReadLineAsync();
        Assert.That(greeting, Does.Contain("QMP"));
        await writer.WriteLineAsync("{\"execute\":\"qmp_capabilities\"}");
        await reader.ReadLineAsync();
        await writer.WriteLineAsync("{\"execute\":\"query-status\"}");
        return await reader.ReadLineAsync() ?? "";
    }
}
