using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Serve;

/// <summary>`baremetal serve` as a user starts it: it comes up, answers, and stops cleanly on SIGTERM.</summary>
public class ServeSmokeTests
{
    [Test]
    public async Task Serve_AnswersHealthAndBootScripts_AndStopsOnSigterm()
    {
        var curl = Peer.Require("curl", "curl");
        using var dir = new TempDir();
        var port = FreeTcpPort();
        using var server = ServeProcess.Start(dir.Path, "--http", $"127.0.0.1:{port}", "--tftp", "off", "--nbd", "off", "--iscsi", "off");
        await server.WaitForHttpAsync(port);

        var health = Peer.Run(curl, ["-sf", $"http://127.0.0.1:{port}/healthz"], TimeSpan.FromSeconds(20));
        Assert.That(health.StdOut, Is.EqualTo("ok\n"));
        var script = Peer.Run(curl, ["-sf", $"http://127.0.0.1:{port}/boot/52-54-00-AB-CD-EF.ipxe"], TimeSpan.FromSeconds(20));
        Assert.That(script.StdOut, Does.StartWith("#!ipxe\n").And.Contain("52:54:00:ab:cd:ef"));
        var bad = Peer.Run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", $"http://127.0.0.1:{port}/boot/..%2f..%2fetc%2fpasswd"], TimeSpan.FromSeconds(20));
        Assert.That(bad.StdOut, Is.EqualTo("404"));

        Assert.That(server.Stop(), Is.EqualTo(0));
        Assert.That(Directory.Exists(Path.Combine(dir.Path, "images")), Is.True);
    }

    [Test]
    public async Task Serve_ExportsImagesDirectory_OverNbdIscsiAndHttpRange()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var curl = Peer.Require("curl", "curl");
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "images"));
        var image = Path.Combine(dir.Path, "images", "tiny.qcow2");
        Peer.Check(qemuImg, "create", "-f", "qcow2", image, "32M");
        Peer.Check(qemuIo, "-c", "write -P 0x42 1M 64k", image);
        var http = FreeTcpPort();
        var nbd = FreeTcpPort();
        var iscsi = FreeTcpPort();
        using var server = ServeProcess.Start(dir.Path, "--http", $"127.0.0.1:{http}", "--tftp", "off", "--nbd", $"127.0.0.1:{nbd}",
            "--iscsi", $"127.0.0.1:{iscsi}");
        await server.WaitForHttpAsync(http);
        await server.WaitForHttpAsync(nbd);
        await server.WaitForHttpAsync(iscsi);

        // The same image as an iSCSI target, read by qemu's libiscsi driver.
        var viaIscsi = Peer.Run(qemuImg, ["compare", "-f", "qcow2", "-F", "raw", image, $"iscsi://127.0.0.1:{iscsi}/iqn.2026-11.dev.baremetal:tiny/0"], TimeSpan.FromSeconds(60));
        Assert.That(viaIscsi.ExitCode, Is.EqualTo(0), viaIscsi.StdOut + viaIscsi.StdErr);

        var compare = Peer.Run(qemuImg, ["compare", "-f", "qcow2", "-F", "raw", image, $"nbd://127.0.0.1:{nbd}/tiny"], TimeSpan.FromSeconds(60));
        Assert.That(compare.ExitCode, Is.EqualTo(0), compare.StdOut + compare.StdErr);

        var range = Peer.Run(curl, ["-s", "-r", "1048576-1048583", $"http://127.0.0.1:{http}/disk/tiny", "-o", "-", "-w", " %{http_code}"], TimeSpan.FromSeconds(20));
        Assert.That(range.StdOut, Is.EqualTo("BBBBBBBB 206"));
        Assert.That(server.Stop(), Is.EqualTo(0));
    }

    [Test]
    public void Serve_WithBadAddress_PrintsOneLineAndExits2()
    {
        using var dir = new TempDir();
        var r = Cli.Run("serve", "--data", dir.Path, "--http", "not-an-address");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr.Trim(), Does.StartWith("baremetal: --http 'not-an-address'"));
    }

    [TestCase("::1")]
    [TestCase("99999")]
    [TestCase("127.0.0.1:0")]
    [TestCase("10.0.0.1")]
    public void Serve_WithAddressWithoutUsablePort_IsRefused(string address)
    {
        using var dir = new TempDir();
        var r = Cli.Run("serve", "--data", dir.Path, "--http", address);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr.Trim(), Is.EqualTo($"baremetal: --http '{address}': expected ADDRESS:PORT (e.g. 127.0.0.1:6969 or [::1]:6969) or 'off'"));
    }

    public static int FreeTcpPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>A `baremetal serve` child process, killed if a test forgets it.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServeProcess(Process process)
    {
        _process = process;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ServeProcess Start(string dataDir, params string[] args) => StartUnder([], dataDir, args);

    /// <summary>
    /// Starts serve under a command <paramref name="prefix"/> that ends by exec-ing its arguments (so
    /// the process id is serve's), e.g. unshare into a private network namespace. The environment's
    /// BAREMETAL_ADMIN_PASSWORD is dropped: only the flags given say what the password is.
    /// </summary>
    public static ServeProcess StartUnder(IReadOnlyList<string> prefix, string dataDir, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "baremetal.dll");
        var command = prefix.Concat(["dotnet", dll, "serve", "--data", dataDir]).Concat(args).ToList();
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment.Remove("BAREMETAL_ADMIN_PASSWORD");
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi)!;
        var s = new ServeProcess(p);
        p.OutputDataReceived += (_, e) => s.Append(e.Data);
        p.ErrorDataReceived += (_, e) => s.Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return s;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>Polls until the HTTP port accepts connections (bounded: 60 s on a loaded 2-core CI machine).</summary>
    public async Task WaitForHttpAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"serve exited with {_process.ExitCode}: {Output}");
            }
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        Assert.Fail($"serve did not listen on {port} within 60 s: {Output}");
    }

    public int ProcessId => _process.Id;

    /// <summary>Waits until serve has printed <paramref name="text"/> (it prints "press Ctrl-C" once everything listens).</summary>
    public async Task WaitForOutputAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                Assert.Fail($"serve exited with {_process.ExitCode}: {Output}");
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"serve did not print '{text}' within 60 s: {Output}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// kill -9 (Process.Kill is SIGKILL on Linux): no handler, no flush, no cleanup runs, as in a crash
    /// or an OOM kill. Returns once the process is gone.
    /// </summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Sends SIGTERM and returns the exit code.</summary>
    public int Stop()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        if (!_process.WaitForExit(30_000))
        {
            _process.Kill(true);
            Assert.Fail("serve did not stop within 30 s of SIGTERM");
        }
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
