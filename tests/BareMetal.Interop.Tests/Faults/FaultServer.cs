using System.Globalization;
using BareMetal.Interop.Tests.Serve;

namespace BareMetal.Interop.Tests.Faults;

/// <summary>
/// One data directory and its `baremetal serve` processes: started on free loopback ports (never the
/// defaults, so nothing collides), killed with SIGKILL, and started again on the same directory and
/// ports, as an operator's service manager would after a crash.
/// </summary>
public sealed class FaultServer : IDisposable
{
    public const string Password = "fault-test-password";

    private readonly bool _nbd;
    private ServeProcess? _process;

    public FaultServer(string dataDirectory, bool nbd)
    {
        DataDirectory = dataDirectory;
        _nbd = nbd;
        HttpPort = ServeSmokeTests.FreeTcpPort();
        NbdPort = nbd ? ServeSmokeTests.FreeTcpPort() : 0;
    }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int NbdPort { get; }

    /// <summary>Console output of the current (or last) process: what a user sees, recovery lines included.</summary>
    public string Output => _process?.Output ?? "";

    public string ImagesDirectory => Path.Combine(DataDirectory, "images");

    public string IncomingDirectory => Path.Combine(ImagesDirectory, ".incoming");

    public async Task StartAsync()
    {
        _process?.Dispose();
        _process = ServeProcess.Start(DataDirectory, "--http", Address(HttpPort), "--nbd", _nbd ? Address(NbdPort) : "off",
            "--tftp", "off", "--iscsi", "off", "--admin-password", Password);
        await _process.WaitForHttpAsync(HttpPort);
        if (_nbd)
        {
            await _process.WaitForHttpAsync(NbdPort);
        }
    }

    /// <summary>kill -9 the running server.</summary>
    public void Kill() => (_process ?? throw new InvalidOperationException("not started")).Kill();

    /// <summary>SIGTERM; returns the exit code.</summary>
    public int Stop() => (_process ?? throw new InvalidOperationException("not started")).Stop();

    /// <summary>The seed of a randomised fault test: BAREMETAL_FAULT_SEED replays a failed run.</summary>
    public static int Seed(int fallback)
    {
        var text = Environment.GetEnvironmentVariable("BAREMETAL_FAULT_SEED");
        var seed = int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : fallback;
        TestContext.Out.WriteLine($"seed {seed} (replay with BAREMETAL_FAULT_SEED={seed})");
        return seed;
    }

    public void Dispose() => _process?.Dispose();

    private static string Address(int port) => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}");
}
