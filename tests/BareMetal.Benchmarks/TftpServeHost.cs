using System.Net;
using BareMetal.Pxe.Tftp.Server;

namespace BareMetal.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project tests/BareMetal.Benchmarks -- tftp-serve ROOT 127.0.0.1:PORT`:
/// the TftpServer alone in the foreground (`OURS=host bench/tftp-vs-peers.sh`; by default the bench runs
/// `./baremetal serve`), with its knobs as arguments for experiments. Prints "listening ENDPOINT" once bound; stops on SIGTERM/SIGINT and prints counters.
/// </summary>
public static class TftpServeHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3 || !IPEndPoint.TryParse(args[2], out var endpoint))
        {
            await Console.Error.WriteLineAsync("usage: tftp-serve ROOT ADDRESS:PORT [max-window [threaded-transfers [spin-microseconds [poller-threads]]]]");
            return 2;
        }
        var options = new TftpServerOptions
        {
            Root = args[1],
            MaxWindowSize = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 64,
            ThreadedTransfers = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : new TftpServerOptions().ThreadedTransfers,
            SpinBeforeReceive = args.Length > 5 ? TimeSpan.FromMicroseconds(int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture)) : new TftpServerOptions().SpinBeforeReceive,
            PollerThreads = args.Length > 6 ? int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture) : new TftpServerOptions().PollerThreads,
        };
        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        await using var server = new TftpServer(options);
        await server.StartAsync(endpoint, stop.Token);
        Console.WriteLine($"listening {server.LocalEndPoint}");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        Console.WriteLine(server.Counters);
        Console.WriteLine($"gc0 {GC.CollectionCount(0)} gc2 {GC.CollectionCount(2)} allocated {GC.GetTotalAllocatedBytes()} bytes");
        return 0;
    }
}
