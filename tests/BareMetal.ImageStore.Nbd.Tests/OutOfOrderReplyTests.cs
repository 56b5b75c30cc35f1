using System.Net;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Server;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests;

/// <summary>
/// The real server over loopback: a FLUSH that waits for the disk does not hold up the requests behind it,
/// so their replies come first (out of order, matched by handle), and the FLUSH's reply follows once the disk is done.
/// </summary>
public sealed class OutOfOrderReplyTests
{
    /// <summary>A raw disk whose Flush waits until the test opens <see cref="Release"/>.</summary>
    private sealed class SlowFlushDisk(FileSource file) : VirtualDisk(file, null)
    {
        public ManualResetEventSlim Release { get; } = new();

        public ManualResetEventSlim Entered { get; } = new();

        public int Flushes;

        public override ImageFormat Format => ImageFormat.Raw;

        public override long Length => File.Length;

        public override bool CanWrite => true;

        public override ImageDetails Describe() => new() { Format = ImageFormat.Raw, Path = Path, VirtualSize = Length, AllocatedSize = Length };

        protected override BlockRun Lookup(long offset, long maxLength) => BlockRun.Data(maxLength, offset);

        public override void Write(long offset, ReadOnlySpan<byte> data) => File.Write(offset, data);

        public override void Flush()
        {
            Entered.Set();
            Assert.That(Release.Wait(TimeSpan.FromSeconds(30)), Is.True, "the test never released the flush");
            Interlocked.Increment(ref Flushes);
            File.Flush();
        }
    }

    [Test]
    public async Task SlowFlush_LetsTheReadsBehindItAnswerFirst_ThenAnswers()
    {
        using var dir = new TempDir("nbd-ooo");
        var path = TestDisks.CreateSparse(dir.File("disk.raw"));
        var disk = new SlowFlushDisk(FileSource.Open(path, writable: true));
        using var exports = new FileExportProvider(disk, readOnly: false, ["disk"]);
        await using var server = new NbdServer(exports, new NbdServerOptions { WatchdogPeriod = TimeSpan.FromHours(1) });
        server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var c = new TestClient(server.LocalEndPoint);
        c.Connect("disk");

        c.SendRequest(NbdProtocol.CmdWrite, 0, 4096, handle: 1, payload: Enumerable.Repeat((byte)0x77, 4096).ToArray());
        Assert.That(c.ReadReply().Handle, Is.EqualTo(1UL));
        c.SendRequest(NbdProtocol.CmdFlush, 0, 0, handle: 2);
        Assert.That(disk.Entered.Wait(TimeSpan.FromSeconds(10)), Is.True, "the flush never reached the disk");
        c.SendRequest(NbdProtocol.CmdRead, 0, 4096, handle: 3);
        c.SendRequest(NbdProtocol.CmdRead, 1 << 20, 4096, handle: 4);

        var first = c.ReadReply(0, 4096);
        var second = c.ReadReply(1 << 20, 4096);
        Assert.That((first.Handle, second.Handle), Is.EqualTo((3UL, 4UL)), "the reads waited for the flush");
        Assert.That(first.Data, Is.All.EqualTo((byte)0x77), "a read after the write sees it");
        Assert.That(second.Data, Is.All.EqualTo((byte)0x5a));
        Assert.That(disk.Flushes, Is.Zero);

        disk.Release.Set();
        var flush = c.ReadReply();
        Assert.That((flush.Handle, flush.Error), Is.EqualTo((2UL, 0u)));
        Assert.That(disk.Flushes, Is.EqualTo(1));

        // DISC behind a pending FLUSH: the connection answers the flush before it closes.
        disk.Release.Reset();
        disk.Entered.Reset();
        c.SendRequest(NbdProtocol.CmdFlush, 0, 0, handle: 5);
        Assert.That(disk.Entered.Wait(TimeSpan.FromSeconds(10)), Is.True);
        c.SendRequest(NbdProtocol.CmdDisc, 0, 0, handle: 6);
        disk.Release.Set();
        var last = c.ReadReply();
        Assert.That((last.Handle, last.Error), Is.EqualTo((5UL, 0u)));
        Assert.That(c.IsClosedByServer(), Is.True);
    }
}
