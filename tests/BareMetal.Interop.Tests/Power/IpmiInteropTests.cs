using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BareMetal.Provisioning.Power;
using BareMetal.Provisioning.Power.Ipmi;
using BareMetal.Provisioning.Power.Ipmi.Wire;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Power;

/// <summary>
/// Our IPMI 2.0 client against OpenIPMI's ipmi_sim, with ipmitool (lanplus) as the reference: each
/// step is done by one and checked by the other, and both must see the same machine.
/// </summary>
[NonParallelizable]
public class IpmiInteropTests
{
    [TearDown]
    public void NoPasswordInAnyText() => PasswordAudit.AssertClean();

    private static IpmiPowerDriver Driver(int port, string password = IpmiSim.Password, int suite = 3) =>
        new(new IpmiBmcOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Credentials = new BmcCredentials(IpmiSim.User, password),
            CipherSuite = suite,
            RetryInterval = TimeSpan.FromMilliseconds(500),
            Attempts = 3,
        }, PasswordAudit.Logger);

    private static PeerResult Ipmitool(int port, string password, params string[] args)
    {
        var tool = Peer.Require("ipmitool", "ipmitool");
        return Peer.Run(tool, new[] { "-I", "lanplus", "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", IpmiSim.User, "-P", password, "-C", "3", "-R", "2", "-N", "1" }.Concat(args), TimeSpan.FromSeconds(30));
    }

    private static string IpmitoolOk(int port, params string[] args)
    {
        var r = Ipmitool(port, IpmiSim.Password, args);
        Assert.That(r.ExitCode, Is.Zero, $"{r.CommandLine}: {r.StdErr} {r.StdOut}");
        return r.StdOut;
    }

    private static PowerState IpmitoolState(int port)
    {
        var text = IpmitoolOk(port, "chassis", "power", "status").Trim();
        return text switch
        {
            "Chassis Power is on" => PowerState.On,
            "Chassis Power is off" => PowerState.Off,
            _ => throw new AssertionException($"ipmitool said '{text}'"),
        };
    }

    [Test]
    public async Task PowerAndBootFlags_OurClientAndIpmitool_SeeTheSameMachine()
    {
        using var sim = new IpmiSim();
        await using var ours = Driver(sim.Port);
        var ct = CancellationToken.None;

        Assert.That(await ours.GetPowerStateAsync(ct), Is.EqualTo(PowerState.Off));
        Assert.That(IpmitoolState(sim.Port), Is.EqualTo(PowerState.Off));

        // Ours powers on; ipmitool and the "node" process agree.
        Assert.That((await ours.PowerOnAsync(ct)).Performed, Is.True);
        Assert.That(sim.NodeRunning, Is.True, "power-up started the node process");
        Assert.That(IpmitoolState(sim.Port), Is.EqualTo(PowerState.On));
        Assert.That(await ours.GetPowerStateAsync(ct), Is.EqualTo(PowerState.On));

        // ipmitool powers off; ours sees it.
        IpmitoolOk(sim.Port, "chassis", "power", "off");
        Assert.That(sim.NodeRunning, Is.False);
        Assert.That(await ours.GetPowerStateAsync(ct), Is.EqualTo(PowerState.Off));
        IpmitoolOk(sim.Port, "chassis", "power", "on");
        Assert.That(await ours.GetPowerStateAsync(ct), Is.EqualTo(PowerState.On));

        // Boot flags: ipmitool's bootdev pxe (persistent) and ours leave the same setting at the BMC.
        IpmitoolOk(sim.Port, "chassis", "bootdev", "pxe", "options=persistent");
        var byIpmitool = sim.BootFile;
        IpmitoolOk(sim.Port, "chassis", "bootdev", "disk");
        Assert.That(sim.BootFile, Is.Not.EqualTo(byIpmitool));
        await ours.SetNextBootAsync(BootDevice.Network, persistent: true, ct);
        Assert.That(sim.BootFile, Is.EqualTo(byIpmitool).And.EqualTo("pxe"));
        Assert.That(IpmitoolOk(sim.Port, "chassis", "bootparam", "get", "5"), Does.Contain("Force PXE"));
        Assert.That((await ours.GetBootFlagsAsync(ct)).DeviceSelector, Is.EqualTo(BootFlags.DevicePxe));
        IpmitoolOk(sim.Port, "chassis", "bootdev", "disk");
        var diskByIpmitool = sim.BootFile;
        Assert.That((await ours.GetBootFlagsAsync(ct)).DeviceSelector, Is.EqualTo(BootFlags.DeviceDisk));
        await ours.SetNextBootAsync(BootDevice.Network, persistent: false, ct);
        await ours.SetNextBootAsync(BootDevice.Disk, persistent: false, ct);
        Assert.That(sim.BootFile, Is.EqualTo(diskByIpmitool));
        Assert.That(IpmitoolOk(sim.Port, "chassis", "bootparam", "get", "5"), Does.Contain("Force Boot from default Hard-Drive"));

        // Cycle: the node process is replaced (ipmi_sim powers back on after one second).
        var before = sim.NodePid;
        await ours.CycleAsync(ct);
        await WaitForAsync(() => sim.NodeRunning && sim.NodePid != before, "the cycled node to come back as a new process");
        Assert.That(IpmitoolState(sim.Port), Is.EqualTo(PowerState.On));
        before = sim.NodePid;
        IpmitoolOk(sim.Port, "chassis", "power", "cycle");
        await WaitForAsync(() => sim.NodeRunning && sim.NodePid != before, "ipmitool's cycle to bring a new process");
        Assert.That(await ours.GetPowerStateAsync(ct), Is.EqualTo(PowerState.On));

        // Soft off (ACPI) and hard off both end with the node gone.
        await ours.SoftOffAsync(ct);
        Assert.That(IpmitoolState(sim.Port), Is.EqualTo(PowerState.Off));
        await ours.PowerOnAsync(ct);
        await ours.PowerOffAsync(ct);
        Assert.That(IpmitoolState(sim.Port), Is.EqualTo(PowerState.Off));
        Assert.That(sim.NodeRunning, Is.False);
    }

    [Test]
    public async Task WrongPassword_IsAuthenticationFailed_InTheBmcsWords_AsIpmitoolAlsoFails()
    {
        using var sim = new IpmiSim();
        await using var ours = Driver(sim.Port, PasswordAudit.WrongPassword);
        var e = Assert.ThrowsAsync<PowerException>(() => ours.GetPowerStateAsync(CancellationToken.None))!;
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.AuthenticationFailed));
        Assert.That(e.Message, Does.Contain("admin").And.Contain("RAKP"));
        Assert.That(e.Message, Does.Not.Contain(PasswordAudit.WrongPassword).And.Not.Contain(IpmiSim.Password));
        TestContext.Out.WriteLine(e.Message);
        var reference = Ipmitool(sim.Port, PasswordAudit.WrongPassword, "chassis", "power", "status");
        Assert.That(reference.ExitCode, Is.Not.Zero, "ipmitool refuses the same password");
        PasswordAudit.Record(e.Message);
    }

    [Test]
    public async Task UnknownUser_IsAuthenticationFailed_WithTheRakpStatusName()
    {
        using var sim = new IpmiSim();
        await using var ours = new IpmiPowerDriver(new IpmiBmcOptions { Host = "127.0.0.1", Port = sim.Port, Credentials = new BmcCredentials("nobody", "x") });
        var e = Assert.ThrowsAsync<PowerException>(() => ours.PowerOnAsync(CancellationToken.None))!;
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.AuthenticationFailed));
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.Contain("nobody"));
        PasswordAudit.Record(e.Message);
    }

    [Test]
    public async Task CipherSuite17_RefusedByIpmiSim_IsUnsupported_InItsWords_LikeIpmitool()
    {
        // OpenIPMI 2.0.33's ipmi_sim offers no RAKP-HMAC-SHA256; ipmitool -C 17 reports the same refusal.
        using var sim = new IpmiSim();
        await using var ours = Driver(sim.Port, suite: 17);
        var e = Assert.ThrowsAsync<PowerException>(() => ours.GetPowerStateAsync(CancellationToken.None))!;
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.Unsupported));
        Assert.That(e.Message, Does.Contain("Invalid authentication algorithm (0x04)"));
        var reference = Peer.Run(Peer.Require("ipmitool", "ipmitool"), ["-I", "lanplus", "-H", "127.0.0.1", "-p", sim.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", IpmiSim.User, "-P", IpmiSim.Password, "-C", "17", "-R", "1", "-N", "1", "chassis", "power", "status"], TimeSpan.FromSeconds(30));
        Assert.That(reference.StdErr + reference.StdOut, Does.Contain("invalid authentication algorithm"));
        PasswordAudit.Record(e.Message);
    }

    [Test]
    public async Task PortThatNeverAnswers_IsUnreachable_AfterTheRetries_WithinTheBudget()
    {
        // A bound socket that never reads: datagrams vanish, no ICMP comes back.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        await using var ours = Driver(port);
        var watch = Stopwatch.StartNew();
        var e = Assert.ThrowsAsync<PowerException>(() => ours.GetPowerStateAsync(CancellationToken.None))!;
        watch.Stop();
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.Unreachable));
        Assert.That(e.Message, Does.Contain("3 attempts").And.Contain("Get Channel Authentication Capabilities"));
        Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1400)).And.LessThan(TimeSpan.FromSeconds(5)), "3 attempts of 0.5 s");
        PasswordAudit.Record(e.Message);
    }

    [Test]
    public async Task BmcKilledMidSession_IsUnreachable_NoHang()
    {
        using var sim = new IpmiSim();
        await using var ours = Driver(sim.Port);
        var watch = Stopwatch.StartNew();
        var e = Assert.ThrowsAsync<PowerException>(() => ours.WithSessionAsync<int>(async send =>
        {
            var first = await send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetChassisStatus, []));
            Assert.That(first.Succeeded, Is.True);
            sim.Kill();
            await send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.ChassisControl, [1]));
            return 0;
        }, CancellationToken.None))!;
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.Unreachable));
        Assert.That(e.Message, Does.Contain("port unreachable"));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        TestContext.Out.WriteLine(e.Message);
        PasswordAudit.Record(e.Message);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail($"timed out waiting for {what}");
            }
            await Task.Delay(100);
        }
    }
}
