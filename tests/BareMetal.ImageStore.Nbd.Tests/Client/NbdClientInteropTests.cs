using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BareMetal.ImageStore.Nbd.Client;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests.Client;

/// <summary>The client against real servers: qemu-nbd (qemu-utils) and nbdkit (memory plugin, error filter).</summary>
public class NbdClientInteropTests
{
    private TempDir _dir = null!;
    private Process? _peer;

    [SetUp]
    public void SetUp() => _dir = new TempDir("nbd-client-interop");

    [TearDown]
    public void TearDown()
    {
        if (_peer is { HasExited: false })
        {
            _peer.Kill(entireProcessTree: true);
            _peer.WaitForExit();
        }

        _peer?.Dispose();
        _dir.Dispose();
    }

    [Test]
    public async Task QemuNbd_ReadsHolesExtentsAndWrites_MatchTheFile()
    {
        var qemuNbd = Peer.Require("qemu-nbd", "qemu-utils");
        var path = TestDisks.CreateSparse(_dir.File("disk.raw"), 16 << 20);
        var port = FreePort();
        await using var c = await StartAndConnect(qemuNbd, ["-f", "raw", "-x", "img", "-b", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--persistent", path], port, "img");
        Assert.That(c.Size, Is.EqualTo(16 << 20));
        Assert.That(c.Info.StructuredReplies, Is.True);

        var all = new byte[16 << 20];
        await c.ReadAsync(0, all);
        Assert.That(all, Is.EqualTo(File.ReadAllBytes(path)));

        var extents = await c.BlockStatusAsync(0, 16 << 20);
        var dataBytes = extents.Where(e => !e.IsHole).Sum(e => e.Length);
        Assert.That(extents.Any(e => !e.IsHole && e.Offset <= (1 << 20) && e.Offset + e.Length >= (1 << 20) + 196608), Is.True, string.Join(", ", extents));
        Assert.That(dataBytes, Is.LessThan(2 << 20), "most of the sparse file is reported as holes");

        var data = Enumerable.Range(0, 1 << 20).Select(i => unchecked((byte)(i * 13 + 1))).ToArray();
        await Task.WhenAll(c.WriteAsync(5 << 20, data.AsMemory(0, 1 << 19)), c.WriteAsync((5 << 20) + (1 << 19), data.AsMemory(1 << 19)));
        await c.FlushAsync();
        var back = new byte[data.Length];
        await c.ReadAsync(5 << 20, back);
        Assert.That(back, Is.EqualTo(data));
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        f.Position = 5 << 20;
        var onDisk = new byte[data.Length];
        f.ReadExactly(onDisk);
        Assert.That(onDisk, Is.EqualTo(data));
    }

    [Test]
    public async Task QemuNbd_UnknownExport_IsRefused()
    {
        var qemuNbd = Peer.Require("qemu-nbd", "qemu-utils");
        var path = TestDisks.CreateSparse(_dir.File("disk.raw"), 1 << 20);
        var port = FreePort();
        await using (await StartAndConnect(qemuNbd, ["-f", "raw", "-x", "img", "-b", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--persistent", "-r", path], port, "img"))
        {
        }

        var e = Assert.ThrowsAsync<NbdClientException>(() => NbdClient.ConnectAsync("127.0.0.1", port, "other"));
        Assert.That(e!.Error, Is.EqualTo(NbdClientError.Refused));
        Assert.That(e.Message, Does.Contain("'other'"));
    }

    [Test]
    public async Task Nbdkit_Memory_PipelinedWritesAndReadsRoundTrip()
    {
        var nbdkit = Peer.Require("nbdkit", "nbdkit");
        var port = FreePort();
        await using var c = await StartAndConnect(nbdkit, ["-f", "-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "memory", "64M"], port, "");
        Assert.That(c.Size, Is.EqualTo(64 << 20));
        var writes = Enumerable.Range(0, 32).Select(i => c.WriteAsync(i * (1L << 20), Enumerable.Repeat((byte)(i + 1), 65536).ToArray())).ToList();
        await Task.WhenAll(writes);
        await c.FlushAsync();
        var reads = Enumerable.Range(0, 32).Select(async i =>
        {
            var b = new byte[131072];
            await c.ReadAsync(i * (1L << 20), b);
            return (i, b);
        }).ToList();
        foreach (var (i, b) in await Task.WhenAll(reads))
        {
            Assert.That(b[..65536], Is.All.EqualTo((byte)(i + 1)));
            Assert.That(b[65536..], Is.All.EqualTo((byte)0), "unwritten memory reads as zero (a hole)");
        }

        var extents = await c.BlockStatusAsync(0, 2 << 20);
        Assert.That(extents[0], Is.EqualTo(new NbdExtent(0, extents[0].Length, extents[0].Flags)));
        Assert.That(extents[0].IsHole, Is.False);
        Assert.That(extents.Any(e => e.IsHole), Is.True);
    }

    [Test]
    public async Task Nbdkit_ErrorFilter_GivesServerErrorAndKeepsTheConnection()
    {
        var nbdkit = Peer.Require("nbdkit", "nbdkit");
        var port = FreePort();
        await using var c = await StartAndConnect(nbdkit, ["-f", "-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--filter=error", "memory", "1M", "error-pread=EIO", "error-pread-rate=100%"], port, "");
        for (var i = 0; i < 3; i++)
        {
            var e = Assert.ThrowsAsync<NbdClientException>(() => c.ReadAsync(0, new byte[4096]));
            Assert.That(e!.Error, Is.EqualTo(NbdClientError.ServerError));
            Assert.That(e.ErrorNumber, Is.EqualTo(NbdProtocol.EIO));
        }

        await c.WriteAsync(0, new byte[4096]);
    }

    private async Task<NbdClient> StartAndConnect(string file, string[] args, int port, string export)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        _peer = Process.Start(psi)!;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await NbdClient.ConnectAsync("127.0.0.1", port, export);
            }
            catch (NbdClientException e) when (e.Error == NbdClientError.ConnectionLost && deadline.Elapsed < TimeSpan.FromSeconds(30) && !_peer.HasExited)
            {
                await Task.Delay(50); // the peer is still starting to listen
            }
            catch (NbdClientException) when (_peer.HasExited)
            {
                Assert.Fail($"{file} exited {_peer.ExitCode}: {await _peer.StandardError.ReadToEndAsync()}");
                throw;
            }
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
