using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BareMetal.Provisioning.Power.Ipmi.Wire;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Power;

/// <summary>
/// OpenIPMI's ipmi_sim as a LAN BMC on 127.0.0.1 and a free UDP port, configured by the test: one
/// administrator user, and a chassis_control program whose "power" is a real process (a sleep
/// started on power-up, killed on power-down) and whose boot device is a file. ipmi_sim runs the
/// program for every Get Chassis Status, Chassis Control and boot-flags command, so both ipmitool and
/// our client see the same machine.
/// </summary>
internal sealed class IpmiSim : IDisposable
{
    public const string User = "admin";
    public const string Password = "Pw-ipmi-9f3k2q";

    private readonly TempDir _dir = new("ipmisim");
    private Process? _process;

    /// <param name="nodeCommand">
    /// What "power" runs (exec'd by sh, so it must hold no single quote); $boot is the boot device
    /// ipmi_sim last set (pxe, default, ...). The default, a sleep, is a node that does nothing.
    /// </param>
    public IpmiSim(string nodeCommand = "sleep 600")
    {
        Peer.Require("ipmi_sim", "openipmi");
        Port = FreeUdpPort();
        var script = _dir.File("chassis.sh");
        File.WriteAllText(script, $$"""
            #!/bin/sh
            # ipmi_sim chassis_control program: "$1" is get or set, then parameter names (and values).
            dir='{{_dir.Path}}'
            alive() { [ -f "$dir/node.pid" ] && kill -0 "$(cat "$dir/node.pid")" 2>/dev/null; }
            off() { if alive; then kill "$(cat "$dir/node.pid")"; fi; rm -f "$dir/node.pid"; }
            op=$1; shift
            case $op in
            get)
              for p in "$@"; do
                case $p in
                  power) if alive; then echo "power:1"; else echo "power:0"; fi ;;
                  boot) if [ -f "$dir/boot" ]; then echo "boot:$(cat "$dir/boot")"; else echo "boot:none"; fi ;;
                  *) echo "Invalid parameter: $p"; exit 1 ;;
                esac
              done ;;
            set)
              while [ $# -gt 1 ]; do
                p=$1; v=$2; shift 2
                case $p in
                  power) if [ "$v" = 1 ]; then alive || { boot=$(cat "$dir/boot" 2>/dev/null || echo none); export boot dir; setsid sh -c 'exec {{nodeCommand}}' >"$dir/node.log" 2>&1 </dev/null & echo $! > "$dir/node.pid"; }; else off; fi ;;
                  shutdown) off ;;
                  reset) ;;
                  boot) echo "$v" > "$dir/boot" ;;
                  *) echo "Invalid parameter: $p"; exit 1 ;;
                esac
              done ;;
            *) exit 1 ;;
            esac
            """.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        File.WriteAllText(_dir.File("lan.conf"), $"""
            name "bmtest"
            set_working_mc 0x20
              startlan 1
                addr 127.0.0.1 {Port}
                priv_limit admin
                allowed_auths_callback none md2 md5 straight
                allowed_auths_user none md2 md5 straight
                allowed_auths_operator none md2 md5 straight
                allowed_auths_admin none md2 md5 straight
                guid a123456789abcdefa123456789abcdef
              endlan
              chassis_control "{script}"
              user 2 true "{User}" "{Password}" admin 10 none md2 md5 straight
            """);
        File.WriteAllText(_dir.File("bmc.emu"), """
            mc_setbmc 0x20
            mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
            mc_enable 0x20
            """);
        Directory.CreateDirectory(_dir.File("state"));
        try
        {
            Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Port { get; }

    public string WorkDirectory => _dir.Path;

    /// <summary>The "node": whether the process ipmi_sim powers is running.</summary>
    public bool NodeRunning => NodePid is { } pid && Directory.Exists($"/proc/{pid}");

    public string? NodePid => File.Exists(_dir.File("node.pid")) ? File.ReadAllText(_dir.File("node.pid")).Trim() : null;

    public string? BootFile => File.Exists(_dir.File("boot")) ? File.ReadAllText(_dir.File("boot")).Trim() : null;

    public void Start()
    {
        var psi = new ProcessStartInfo("ipmi_sim") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", _dir.File("lan.conf"), "-f", _dir.File("bmc.emu"), "-s", _dir.File("state"), "-n" })
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitForPong();
    }

    /// <summary>SIGKILL: the BMC vanishes between two datagrams.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        if (File.Exists(_dir.File("node.pid")) && int.TryParse(File.ReadAllText(_dir.File("node.pid")).Trim(), out var pid))
        {
            try
            {
                using var node = Process.GetProcessById(pid);
                node.Kill();
            }
            catch (ArgumentException)
            {
            }
        }
        _dir.Dispose();
    }

    private void WaitForPong()
    {
        // ASF presence ping until ipmi_sim answers (it binds its port a moment after starting).
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var watch = Stopwatch.StartNew();
        var receive = udp.ReceiveAsync();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            udp.Send(Asf.WritePing(1), new IPEndPoint(IPAddress.Loopback, Port));
            if (receive.Wait(TimeSpan.FromMilliseconds(200)))
            {
                var pong = Asf.ReadPong(receive.Result.Buffer);
                Assert.That(pong.SupportsIpmi, Is.True, "ipmi_sim's presence pong says it speaks IPMI");
                return;
            }
            if (_process!.HasExited)
            {
                Assert.Fail($"ipmi_sim exited {_process.ExitCode} at start");
            }
        }
        Assert.Fail("ipmi_sim did not answer an ASF presence ping within 10 s");
    }

    public static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
