using System.Diagnostics;
using System.Globalization;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>
/// One QEMU machine network-booting against servers in the test process. Layout: a private namespace
/// holds a bridge joining QEMU's tap and one end of a veth pair; the other end
/// (<see cref="HostInterface"/>, <see cref="HostAddress"/>) is in the test's namespace, where our DHCP,
/// TFTP and HTTP servers bind. QEMU runs under TCG (KVM hangs network boots on these machines), with the
/// serial console in <see cref="SerialLog"/> and a hard time limit; Dispose kills it and removes the
/// namespace, the bridge, the tap and the veth pair. Extra peers (dnsmasq as the site's DHCP server) run
/// inside the namespace through <see cref="StartInNamespace"/>.
/// </summary>
public sealed class QemuPxeHarness : IAsyncDisposable
{
    /// <summary>The NIC's MAC; the iPXE script URL contains it.</summary>
    public const string Mac = "52:54:00:b0:07:01";

    private const string Tap = "tap0";
    private const string Bridge = "br0";

    private readonly NetworkNamespace _ns;
    private readonly TempDir _dir;
    private readonly List<Process> _processes = [];
    private Process? _qemu;
    private int _powerCycles;

    private QemuPxeHarness(NetworkNamespace ns, TempDir dir)
    {
        _ns = ns;
        _dir = dir;
    }

    public string HostInterface => _ns.HostInterface;

    public string HostAddress => _ns.HostAddress;

    /// <summary>A free address on the boot network for another server inside the namespace (10.213.N.2).</summary>
    public string NamespaceAddress => $"10.213.{_ns.Subnet}.2";

    public int Subnet => _ns.Subnet;

    public string SerialLog => _dir.File("serial.log");

    public string WorkDirectory => _dir.Path;

    /// <summary>Builds the network (root needed; skips otherwise, fails under CI).</summary>
    public static QemuPxeHarness Create()
    {
        Peer.Require("qemu-system-x86_64", "qemu-system-x86");
        var ns = NetworkNamespace.CreateWithVeth();
        var h = new QemuPxeHarness(ns, new TempDir("qemu-pxe"));
        try
        {
            h.Ip("tuntap", "add", "dev", Tap, "mode", "tap");
            h.Ip("link", "add", Bridge, "type", "bridge");
            h.Ip("link", "set", Tap, "master", Bridge);
            h.Ip("link", "set", ns.ClientInterface, "master", Bridge);
            h.Ip("addr", "add", $"{h.NamespaceAddress}/24", "dev", Bridge);
            h.Ip("link", "set", Tap, "up");
            h.Ip("link", "set", Bridge, "up");
        }
        catch
        {
            h._dir.Dispose();
            ns.Dispose();
            throw;
        }
        return h;
    }

    /// <summary>Starts QEMU (TCG, 256 MiB, e1000 NIC, boot from network) and returns at once.</summary>
    /// <param name="localDisk">A raw image to attach as the machine's own IDE disk (BIOS drive 0x80; opened with snapshot=on, never written).</param>
    /// <param name="writeLocalDisk">Let the machine write <paramref name="localDisk"/> (deploy mode copies onto it).</param>
    public void StartQemu(QemuFirmware firmware, TimeSpan limit, string? localDisk = null, bool writeLocalDisk = false)
    {
        List<string> args = ["-accel", "tcg", "-m", "256", "-nographic", "-machine", "graphics=off", "-monitor", "none",
            "-netdev", $"tap,id=n0,ifname={Tap},script=no,downscript=no",
            "-device", firmware == QemuFirmware.UefiNativePxe ? $"virtio-net-pci,netdev=n0,mac={Mac},romfile=" : $"e1000,netdev=n0,mac={Mac}",
            "-boot", "n", "-serial", $"file:{SerialLog}"];
        if (localDisk is not null)
        {
            args.AddRange(["-drive", $"file={localDisk},format=raw,if=ide" + (writeLocalDisk ? "" : ",snapshot=on")]);
        }
        if (firmware is QemuFirmware.Uefi or QemuFirmware.UefiNativePxe)
        {
            var ovmf = Peer.Require("/usr/share/ovmf/OVMF.fd", "ovmf");
            args.AddRange(["-bios", ovmf]);
        }
        var seconds = ((int)limit.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        _qemu = StartInNamespace("timeout", [seconds, Peer.Require("qemu-system-x86_64", "qemu-system-x86"), .. args], "qemu");
    }

    /// <summary>
    /// Pulls the plug: kills QEMU and keeps its serial console as serial.N.log, so the next
    /// <see cref="StartQemu"/> (the same machine powered on again: same MAC, same disks) starts a clean one.
    /// </summary>
    public async Task PowerOffAsync()
    {
        if (_qemu is null)
        {
            return;
        }
        if (!_qemu.HasExited)
        {
            _qemu.Kill(entireProcessTree: true);
        }
        await _qemu.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _qemu = null;
        if (File.Exists(SerialLog))
        {
            File.Move(SerialLog, _dir.File($"serial.{++_powerCycles}.log"));
        }
    }

    /// <summary>Starts a long-running peer inside the namespace; it is killed on Dispose. Output goes to {name}.log.</summary>
    public Process StartInNamespace(string file, IEnumerable<string> args, string name)
    {
        var psi = new ProcessStartInfo(NetworkNamespace.Ip) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (IEnumerable<string>)["netns", "exec", _ns.Name, file, .. args])
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        _processes.Add(p);
        var log = _dir.File(name + ".log");
        _ = Task.Run(async () =>
        {
            var output = await p.StandardOutput.ReadToEndAsync();
            var error = await p.StandardError.ReadToEndAsync();
            await File.WriteAllTextAsync(log, output + error);
        });
        return p;
    }

    /// <summary>Polls the serial console until <paramref name="marker"/> shows up; false on timeout or when QEMU exits first.</summary>
    public async Task<bool> WaitForSerial(string marker, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (File.Exists(SerialLog) && (await File.ReadAllTextAsync(SerialLog)).Contains(marker, StringComparison.Ordinal))
            {
                return true;
            }
            if (_processes.Count > 0 && _processes[^1].HasExited && watch.Elapsed > TimeSpan.FromSeconds(1))
            {
                return File.Exists(SerialLog) && (await File.ReadAllTextAsync(SerialLog)).Contains(marker, StringComparison.Ordinal);
            }
            await Task.Delay(250);
        }
        return false;
    }

    /// <summary>The serial console so far, for failure messages (last 3000 characters).</summary>
    public string SerialTail()
    {
        if (!File.Exists(SerialLog))
        {
            return "(no serial output)";
        }
        var s = File.ReadAllText(SerialLog);
        return s.Length > 3000 ? s[^3000..] : s;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
            }
            p.Dispose();
        }
        _ns.Dispose();
        _dir.Dispose();
    }

    private void Ip(params string[] args)
    {
        var r = _ns.Exec(NetworkNamespace.Ip, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} in {_ns.Name} failed: {r.StdErr.Trim()}");
        }
    }
}
