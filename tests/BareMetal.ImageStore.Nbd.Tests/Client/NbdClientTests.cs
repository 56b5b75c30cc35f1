using System.Net;
using BareMetal.ImageStore.Nbd.Client;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Server;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests.Client;

/// <summary>The client against our own server over loopback: data, holes, extents, writes, pipelining, refusals.</summary>
public class NbdClientTests
{
    private const long Size = 16 << 20;
    private TempDir _dir = null!;
    private string _path = null!;
    private FileExportProvider _exports = null!;
    private NbdServer _server = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("nbd-client");
        _path = TestDisks.CreateSparse(_dir.File("disk.raw"), Size);
        _exports = new FileExportProvider(TestDisks.OpenRaw(_path, true), readOnly: false, ["disk"]);
        _server = new NbdServer(_exports, new NbdServerOptions { WatchdogPeriod = TimeSpan.FromHours(1) });
        _server.Start(new IPEndPoint(IPAddress.Loopback, 0));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _server.DisposeAsync();
        _exports.Dispose();
        _dir.Dispose();
    }

    private Task<NbdClient> Connect(string export = "disk") => NbdClient.ConnectAsync("127.0.0.1", _server.LocalEndPoint.Port, export);

    [Test]
    public async Task Go_ReportsSizeStructuredRepliesAndBaseAllocation()
    {
        await using var c = await Connect();
        Assert.That(c.Size, Is.EqualTo(Size));
        Assert.That(c.Info.StructuredReplies, Is.True);
        Assert.That(c.Info.BaseAllocationId, Is.Not.Null);
        Assert.That(c.Info.ReadOnly, Is.False);
    }

    [Test]
    public async Task Read_DataAndHoles_MatchTheFile()
    {
        await using var c = await Connect();
        var buf = new byte[4 << 20];
        await c.ReadAsync(0, buf);
        var expected = new byte[buf.Length];
        using (var f = File.OpenRead(_path))
        {
            f.ReadExactly(expected);
        }

        Assert.That(buf, Is.EqualTo(expected));
        Assert.That(buf[(1 << 20) + 5], Is.EqualTo(0x5a));
        Assert.That(c.BytesRead, Is.EqualTo(buf.Length));
    }

    [Test]
    public async Task Read_ManyPipelined_EachGetsItsOwnData()
    {
        await using var c = await Connect();
        var reads = Enumerable.Range(0, 64).Select(async i =>
        {
            var b = new byte[4096];
            await c.ReadAsync((1 << 20) - (32 * 4096) + (i * 4096L), b);
            return (i, b);
        }).ToList();
        foreach (var (i, b) in await Task.WhenAll(reads))
        {
            Assert.That(b, Is.All.EqualTo(i < 32 ? (byte)0 : (byte)0x5a), $"read {i}");
        }
    }

    [Test]
    public async Task BlockStatus_ReportsDataAndHoleExtents()
    {
        await using var c = await Connect();
        var extents = await c.BlockStatusAsync(0, 2 << 20);
        Assert.That(extents[0].Offset, Is.Zero);
        var data = extents.Where(e => !e.IsHole).ToList();
        Assert.That(data, Is.Not.Empty);
        Assert.That(data.Any(e => e.Offset <= (1 << 20) && e.Offset + e.Length >= (1 << 20) + 196608), Is.True, string.Join(", ", extents));
        Assert.That(extents.Any(e => e.IsHole && e.Offset == 0), Is.True, string.Join(", ", extents));
    }

    [Test]
    public async Task WriteFlushRead_RoundTripsAndReachesTheFile()
    {
        await using (var c = await Connect())
        {
            var data = Enumerable.Range(0, 65536).Select(i => unchecked((byte)(i * 7))).ToArray();
            await c.WriteAsync(3 << 20, data);
            await c.FlushAsync();
            var back = new byte[data.Length];
            await c.ReadAsync(3 << 20, back);
            Assert.That(back, Is.EqualTo(data));
            Assert.That(c.BytesWritten, Is.EqualTo(data.Length));
        }

        _exports.Export.Disk.Flush();
        using var f = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        f.Position = 3 << 20;
        var onDisk = new byte[16];
        f.ReadExactly(onDisk);
        Assert.That(onDisk[1], Is.EqualTo(7));
    }

    [Test]
    public void UnknownExport_IsRefusedWithTheName()
    {
        var e = Assert.ThrowsAsync<NbdClientException>(() => Connect("nosuch"));
        Assert.That(e!.Error, Is.EqualTo(NbdClientError.Refused));
        Assert.That(e.Message, Does.Contain("'nosuch'").And.Contain("does not exist"));
    }

    [Test]
    public void NothingListening_IsConnectionLost()
    {
        var port = _server.LocalEndPoint.Port;
        _server.DisposeAsync().AsTask().Wait();
        var e = Assert.ThrowsAsync<NbdClientException>(() => NbdClient.ConnectAsync("127.0.0.1", port, "disk"));
        Assert.That(e!.Error, Is.EqualTo(NbdClientError.ConnectionLost));
        Assert.That(e.Message, Does.Contain($"127.0.0.1:{port}"));
    }

    [Test]
    public async Task ReadBeyondEnd_IsRejectedBeforeSending()
    {
        await using var c = await Connect();
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => c.ReadAsync(Size - 100, new byte[4096]));
        var b = new byte[512];
        await c.ReadAsync(Size - 512, b); // the connection is still good
    }

    [Test]
    public async Task ReadOnlyExport_WriteIsNotSupported()
    {
        await using var ro = new ProviderServer(new FileExportProvider(TestDisks.OpenRaw(TestDisks.CreateSparse(_dir.File("ro.raw")), false), readOnly: true, ["ro"]));
        await using var c = await NbdClient.ConnectAsync("127.0.0.1", ro.Port, "ro");
        Assert.That(c.Info.ReadOnly, Is.True);
        var e = Assert.ThrowsAsync<NbdClientException>(() => c.WriteAsync(0, new byte[512]));
        Assert.That(e!.Error, Is.EqualTo(NbdClientError.NotSupported));
    }

    [Test]
    public void NbdUri_ParsesHostPortExportAndRejectsJunk()
    {
        Assert.That(NbdUri.Parse("nbd://127.0.0.1:10810/img"), Is.EqualTo(new NbdUri("127.0.0.1", 10810, "img")));
        Assert.That(NbdUri.Parse("nbd://host"), Is.EqualTo(new NbdUri("host", 10809, "")));
        Assert.That(NbdUri.Parse("nbd://[::1]:99/a%20b"), Is.EqualTo(new NbdUri("::1", 99, "a b")));
        Assert.Throws<FormatException>(() => NbdUri.Parse("http://x/y"));
        Assert.Throws<FormatException>(() => NbdUri.Parse("nbd://x:0/y"));
        Assert.Throws<FormatException>(() => NbdUri.Parse("nbd://:10809/y"));
        Assert.Throws<FormatException>(() => NbdUri.Parse("nbd://x:99999/y"));
    }

    private sealed class ProviderServer : IAsyncDisposable
    {
        private readonly FileExportProvider _provider;
        private readonly NbdServer _server;

        public ProviderServer(FileExportProvider provider)
        {
            _provider = provider;
            _server = new NbdServer(provider, new NbdServerOptions { WatchdogPeriod = TimeSpan.FromHours(1) });
            _server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        }

        public int Port => _server.LocalEndPoint.Port;

        public async ValueTask DisposeAsync()
        {
            await _server.DisposeAsync();
            _provider.Dispose();
        }
    }
}
