using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Server;
using BareMetal.Pxe.Tftp.Wire;
using BareMetal.TestSupport;
using Microsoft.Extensions.Logging;

namespace BareMetal.Pxe.Tests.Tftp;

/// <summary>The socket shell on loopback, with real datagrams and (where timeouts matter) manual time.</summary>
public class TftpServerTests
{
    private static readonly byte[] Small = Enumerable.Range(0, 5000).Select(i => unchecked((byte)(i * 7))).ToArray();

    private static VirtualFileProvider Files() => new(r => r.Path switch
    {
        "small" => Small,
        "empty" => [],
        _ => null,
    });

    private static async Task<TftpServer> StartAsync(TftpServerOptions? options = null, IPAddress? address = null, LineLogger? log = null)
    {
        var server = new TftpServer(options ?? new TftpServerOptions(), Files(), log ?? new LineLogger("tftp: "));
        await server.StartAsync(new IPEndPoint(address ?? IPAddress.Loopback, 0), CancellationToken.None);
        return server;
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(until), "condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    [Test]
    public async Task Get_ServesFromANewPort_CountsAndRaisesEvents()
    {
        await using var server = await StartAsync();
        var ended = new ConcurrentQueue<TftpTransferEventArgs>();
        var started = 0;
        server.TransferStarted += (_, _) => Interlocked.Increment(ref started);
        server.TransferEnded += (_, e) => ended.Enqueue(e);
        using var client = new RawTftpClient();
        var (content, tid) = client.Get(server.LocalEndPoint!, "small", new TftpOption("blksize", "1000"));
        Assert.That(content, Is.EqualTo(Small));
        Assert.That(tid.Port, Is.Not.EqualTo(server.LocalEndPoint!.Port), "RFC 1350: each transfer has its own TID");
        await WaitFor(() => !ended.IsEmpty);
        ended.TryPeek(out var e);
        Assert.That((e!.Path, e.Outcome, e.Length, e.BytesSent), Is.EqualTo(("small", TftpTransferOutcome.Completed, 5000L, 5000L)));
        Assert.That(started, Is.EqualTo(1));
        var c = server.Counters;
        Assert.That((c.TransfersStarted, c.TransfersCompleted, c.TransfersFailed, c.BytesSent, c.ActiveTransfers), Is.EqualTo((1L, 1L, 0L, 5000L, 0)));
    }

    [Test]
    public async Task Get_OverIPv6_Works()
    {
        await using var server = await StartAsync(address: IPAddress.IPv6Loopback);
        using var client = new RawTftpClient(AddressFamily.InterNetworkV6);
        Assert.That(client.Get(server.LocalEndPoint!, "/small").Content, Is.EqualTo(Small));
    }

    [Test]
    public async Task Get_DualStackListener_ServesIPv4AndIPv6Clients()
    {
        await using var server = await StartAsync(address: IPAddress.IPv6Any);
        var port = server.LocalEndPoint!.Port;
        using var v4 = new RawTftpClient();
        using var v6 = new RawTftpClient(AddressFamily.InterNetworkV6);
        var (content4, tid4) = v4.Get(new IPEndPoint(IPAddress.Loopback, port), "small");
        Assert.That(content4, Is.EqualTo(Small));
        Assert.That(tid4.Address, Is.EqualTo(IPAddress.Loopback), "answers come from the address the client spoke to");
        Assert.That(v6.Get(new IPEndPoint(IPAddress.IPv6Loopback, port), "small").Content, Is.EqualTo(Small));
    }

    [Test]
    public async Task ProviderThatThrows_GivesTheClientErrorZero_AndTheServerGoesOn()
    {
        var calls = 0;
        var provider = new VirtualFileProvider(r => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("policy bug") : Small);
        await using var server = new TftpServer(new TftpServerOptions(), provider);
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new RawTftpClient();
        var e = Assert.Throws<TftpErrorException>(() => client.Get(server.LocalEndPoint!, "x"))!;
        Assert.That(e.Code, Is.EqualTo(TftpErrorCode.NotDefined));
        Assert.That(client.Get(server.LocalEndPoint!, "x").Content, Is.EqualTo(Small));
        await WaitFor(() => server.Counters.ActiveTransfers == 0);
    }

    /// <summary>Content whose reads fail from <paramref name="failFrom"/> on, as a file cut short under us would.</summary>
    private sealed class FailingContent(long length, long failFrom) : ITftpContent
    {
        public long Length => length;

        public int Read(long offset, Span<byte> destination)
        {
            if (offset >= failFrom)
            {
                throw new IOException($"disk error at {offset}");
            }
            var n = (int)Math.Min(destination.Length, length - offset);
            for (var i = 0; i < n; i++)
            {
                destination[i] = unchecked((byte)((offset + i) * 13));
            }
            return n;
        }

        public void Dispose()
        {
        }
    }

    private sealed class FailingProvider(long length, long failFrom) : ITftpFileProvider
    {
        public TftpOpenResult Open(TftpFileRequest request) => TftpOpenResult.Of(new FailingContent(length, failFrom));
    }

    [TestCase(8, 1)]
    [TestCase(0, 1)]
    [TestCase(0, 0)]
    public async Task Get_ManyBlocksLockstep_EveryBlockRightAndBytesSentExact(int threaded, int pollers)
    {
        // The server reads each next block ahead while the client acknowledges; blocks must still come
        // out in order with their own bytes, and only sent bytes count.
        await using var server = new TftpServer(new TftpServerOptions { ThreadedTransfers = threaded, PollerThreads = pollers }, new FailingProvider(300_001, long.MaxValue));
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new RawTftpClient();
        var content = client.Get(server.LocalEndPoint!, "big", new TftpOption("blksize", "1000")).Content;
        Assert.That(content, Has.Length.EqualTo(300_001));
        Assert.That(content.Select((b, i) => b == unchecked((byte)(i * 13))).All(ok => ok), Is.True, "content differs");
        await WaitFor(() => server.Counters.ActiveTransfers == 0);
        Assert.That(server.Counters.BytesSent, Is.EqualTo(300_001));
    }

    [Test]
    public async Task LockstepClient_IsCaughtWhileTheTransferSpins_AndNoSpinningMeansNoSpins()
    {
        // A 10 s spin outlasts any answer of a client in this process, so every wait after the first block is a
        // catch (the very first waits for the OACK's ACK, also caught). With no spinner slots, nothing spins.
        foreach (var (maxSpinning, expectSpins) in new[] { (1, true), (0, false) })
        {
            var options = new TftpServerOptions { ThreadedTransfers = 1, MaxSpinning = maxSpinning, SpinBeforeReceive = TimeSpan.FromSeconds(10) };
            await using var server = new TftpServer(options, new FailingProvider(100_000, long.MaxValue));
            await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
            using var client = new RawTftpClient();
            var content = client.Get(server.LocalEndPoint!, "f", new TftpOption("blksize", "1000")).Content;
            Assert.That(content.Select((b, i) => b == unchecked((byte)(i * 13))).All(ok => ok), Is.True, "content differs");
            await WaitFor(() => server.Counters.ActiveTransfers == 0);
            var c = server.Counters;
            Assert.That(c.SpinsInVain, Is.Zero, $"MaxSpinning {maxSpinning}");
            // 101 DATA blocks (the last one empty) after an OACK: 102 ACKs waited for.
            Assert.That(c.SpinsCaught, Is.EqualTo(expectSpins ? 102 : 0), $"MaxSpinning {maxSpinning}");
        }
    }

    [Test]
    public async Task WhileMoreTransfersRunThanMaySpin_NoneSpins()
    {
        // Transfer A waits for an ACK that never comes (its client only asked); transfer B then runs lock-step.
        // With MaxSpinning 1 and two transfers running, B must sleep in recv at every wait: with a 1 ms poll it
        // would otherwise catch nearly every ACK of this in-process client.
        var options = new TftpServerOptions { ThreadedTransfers = 2, MaxSpinning = 1, SpinBeforeReceive = TimeSpan.FromMilliseconds(1) };
        await using var server = new TftpServer(options, new FailingProvider(100_000, long.MaxValue));
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var silent = new RawTftpClient();
        silent.Request(server.LocalEndPoint!, "a", new TftpOption("blksize", "1000"));
        Assert.That(silent.Receive(TimeSpan.FromSeconds(5)), Is.Not.Null, "no OACK for A");
        using var client = new RawTftpClient();
        Assert.That(client.Get(server.LocalEndPoint!, "b", new TftpOption("blksize", "1000")).Content, Has.Length.EqualTo(100_000));
        var c = server.Counters;
        Assert.That(c.SpinsCaught, Is.Zero, $"{c}");
        // A alone may have polled once for its ACK before B started.
        Assert.That(c.SpinsInVain, Is.LessThanOrEqualTo(1), $"{c}");
    }

    [Test]
    public async Task SlowClient_MakesTheTransferBackOff_InsteadOfSpinningForEveryBlock()
    {
        // A 1 ns spin ends before any ACK can come back: each try is in vain and the transfer backs off. Of the
        // 201 waits, only the ones the governor allows spin (0, 2, 5, 10, 19, 36, 69, 134, 199: 9 at most; a
        // lucky catch of an ACK already there restarts the backoff, so count catches beside them).
        var options = new TftpServerOptions { ThreadedTransfers = 1, MaxSpinning = 1, SpinBeforeReceive = TimeSpan.FromTicks(1) };
        await using var server = new TftpServer(options, new FailingProvider(200_000, long.MaxValue));
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new RawTftpClient();
        Assert.That(client.Get(server.LocalEndPoint!, "f", new TftpOption("blksize", "1000")).Content, Has.Length.EqualTo(200_000));
        await WaitFor(() => server.Counters.ActiveTransfers == 0);
        var c = server.Counters;
        Assert.That(c.SpinsInVain, Is.GreaterThan(0));
        Assert.That(c.SpinsInVain, Is.LessThanOrEqualTo(9 + (2 * c.SpinsCaught)), $"{c}");
    }

    [Test]
    public async Task ReadErrorMidTransfer_ClientGetsErrorZeroAfterTheGoodBlocks()
    {
        // Block 4 fails: first when read ahead (silently), then when it is due (ERROR 0 to the client).
        await using var server = new TftpServer(new TftpServerOptions(), new FailingProvider(10 * 512, 3 * 512));
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new RawTftpClient();
        client.Request(server.LocalEndPoint!, "f");
        for (ushort block = 1; block <= 3; block++)
        {
            var (p, from) = client.Expect();
            Assert.That((TftpCodec.ReadOpcode(p), TftpCodec.ReadData(p).Block), Is.EqualTo((TftpOpcode.Data, block)));
            client.Ack(from, block);
        }
        var (error, _) = client.Expect();
        Assert.That(TftpCodec.ReadOpcode(error), Is.EqualTo(TftpOpcode.Error));
        Assert.That(TftpCodec.ReadError(error).Code, Is.EqualTo(TftpErrorCode.NotDefined));
        await WaitFor(() => server.Counters.ActiveTransfers == 0);
        var c = server.Counters;
        Assert.That((c.TransfersFailed, c.BytesSent), Is.EqualTo((1L, 3L * 512)));
    }

    [Test]
    public async Task MissingFile_GetsErrorOne_AndCountsAsFailed()
    {
        await using var server = await StartAsync();
        using var client = new RawTftpClient();
        var e = Assert.Throws<TftpErrorException>(() => client.Get(server.LocalEndPoint!, "nope"))!;
        Assert.That(e.Code, Is.EqualTo(TftpErrorCode.FileNotFound));
        await WaitFor(() => server.Counters.TransfersFailed == 1);
    }

    [TestCase(8, 1)]
    [TestCase(0, 1)]
    [TestCase(0, 0)]
    public async Task RepeatedRrq_BeforeTheFirstAnswer_IsOneTransfer_AndNoSpuriousFailureFollows(int threaded, int pollers)
    {
        // Issue 18: iPXE sent one RRQ three times before our first answer reached it; three transfers started
        // and the two it never answered each failed with "no answer after 5 retries".
        var time = new ManualTimeProvider();
        var log = new LineLogger("tftp: ");
        await using var server = await StartAsync(new TftpServerOptions { TimeProvider = time, MaxRetries = 2, Timeout = TimeSpan.FromSeconds(1), ThreadedTransfers = threaded, PollerThreads = pollers }, log: log);
        using var client = new RawTftpClient();
        for (var i = 0; i < 3; i++)
        {
            client.Request(server.LocalEndPoint!, "small");
        }
        await WaitFor(() => log.At(LogLevel.Debug).Count(l => l.Contains("RRQ small again within 1000 ms", StringComparison.Ordinal)) == 2);
        var content = new MemoryStream();
        IPEndPoint? tid = null;
        while (true)
        {
            var (p, from) = client.Expect();
            tid ??= from;
            Assert.That(from, Is.EqualTo(tid), "every packet comes from the one transfer");
            var data = TftpCodec.ReadData(p);
            content.Write(data.Payload.Span);
            client.Ack(from, data.Block);
            if (data.Payload.Length < 512)
            {
                break;
            }
        }
        Assert.That(content.ToArray(), Is.EqualTo(Small));
        await WaitFor(() => server.Counters.TransfersCompleted == 1);
        for (var i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1.1));
        }
        var c = server.Counters;
        Assert.That((c.TransfersStarted, c.TransfersCompleted, c.TransfersFailed, c.ActiveTransfers, server.RunningRequests), Is.EqualTo((1L, 1L, 0L, 0, 0)));
        Assert.That(client.Receive(TimeSpan.FromMilliseconds(200)), Is.Null, "no second transfer sends anything");
        Assert.That(log.At(LogLevel.Warning).Concat(log.At(LogLevel.Error)), Is.Empty);
    }

    [Test]
    public async Task SameRrqFromTheSamePort_AfterItsTransferEnded_IsServedAgain()
    {
        // tftp-hpa's interactive client asks from one port for every "get": a finished transfer merges nothing.
        await using var server = await StartAsync();
        using var client = new RawTftpClient();
        Assert.That(client.Get(server.LocalEndPoint!, "small").Content, Is.EqualTo(Small));
        await WaitFor(() => server.Counters.TransfersCompleted == 1);
        Assert.That(client.Get(server.LocalEndPoint!, "small").Content, Is.EqualTo(Small));
        await WaitFor(() => server.Counters.TransfersCompleted == 2);
        Assert.That(server.Counters.TransfersStarted, Is.EqualTo(2));
    }

    [Test]
    public async Task RepeatedRrq_AfterTheRetransmitWindow_StartsANewTransfer()
    {
        var time = new ManualTimeProvider();
        await using var server = await StartAsync(new TftpServerOptions { TimeProvider = time, Timeout = TimeSpan.FromSeconds(1), MaxRetries = 5 });
        using var client = new RawTftpClient();
        client.Request(server.LocalEndPoint!, "small");
        client.Expect();
        time.Advance(TimeSpan.FromSeconds(1.1));
        client.Request(server.LocalEndPoint!, "small");
        await WaitFor(() => server.Counters.TransfersStarted == 2);
        Assert.That(server.Counters.ActiveTransfers, Is.EqualTo(2));
    }

    [Test]
    public async Task FinishedTransfer_IsLoggedAtInformation_AndMissingFileProbesAtDebugOnly()
    {
        var log = new LineLogger("tftp: ");
        await using var server = await StartAsync(log: log);
        using var client = new RawTftpClient();
        Assert.That(client.Get(server.LocalEndPoint!, "small").Content, Is.EqualTo(Small));
        // GRUB's and PXELINUX's config probes and shim's revocations file: answered at once with ERROR 1.
        foreach (var probe in new[] { "grub/grub.cfg-01-52-54-00-12-34-56", "pxelinux.cfg/C0A80001", "revocations_sbat.efi" })
        {
            Assert.That(Assert.Throws<TftpErrorException>(() => client.Get(server.LocalEndPoint!, probe))!.Code, Is.EqualTo(TftpErrorCode.FileNotFound));
        }
        await WaitFor(() => server.Counters.TransfersFailed == 3 && server.Counters.TransfersCompleted == 1);
        Assert.That(log.At(LogLevel.Information).Single(), Does.Match(@"^TFTP 127\.0\.0\.1:\d+ small: sent 5000 bytes in \d+ ms$"));
        Assert.That(log.At(LogLevel.Debug).Count(l => l.EndsWith(": not found", StringComparison.Ordinal)), Is.EqualTo(3));
        Assert.That(log.At(LogLevel.Warning).Concat(log.At(LogLevel.Error)), Is.Empty);
    }

    [Test]
    public async Task MalformedRequest_GetsErrorFour_StrayPacketIsDropped_ServerGoesOn()
    {
        var log = new LineLogger();
        await using var server = await StartAsync(log: log);
        using var client = new RawTftpClient();
        client.Send(server.LocalEndPoint!, [0, 1, (byte)'f', 0, (byte)'x', 0]);
        var (p, _) = client.Expect();
        Assert.That(TftpCodec.ReadError(p).Code, Is.EqualTo(TftpErrorCode.IllegalOperation));
        client.Send(server.LocalEndPoint!, [0, 4, 0, 1]);
        client.Send(server.LocalEndPoint!, [0xff]);
        await WaitFor(() => server.Counters.PacketsDropped == 3);
        Assert.That(log.Lines, Has.Some.Contains("UnknownMode"));
        Assert.That(client.Get(server.LocalEndPoint!, "small").Content, Is.EqualTo(Small));
    }

    [Test]
    public async Task WriteRequest_IsRefused()
    {
        await using var server = await StartAsync();
        using var client = new RawTftpClient();
        client.Send(server.LocalEndPoint!, TftpCodec.EncodeRequest(new TftpRequest(TftpOpcode.WriteRequest, "up", TftpMode.Octet, [])));
        Assert.That(TftpCodec.ReadError(client.Expect().Packet).Code, Is.EqualTo(TftpErrorCode.AccessViolation));
    }

    // Each of these runs with transfers on their own blocking thread (the default for the first few), on the
    // epoll poller (ThreadedTransfers = 0, as every transfer beyond the first few) and on async receives
    // (no poller either: what other systems than Linux x86-64 get).
    [TestCase(8, 1)]
    [TestCase(0, 1)]
    [TestCase(0, 0)]
    public async Task LostAck_IsAnsweredByResendOnTimer_ThenGivesUp(int threaded, int pollers)
    {
        var time = new ManualTimeProvider();
        var ended = new TaskCompletionSource<TftpTransferEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(new TftpServerOptions { TimeProvider = time, MaxRetries = 2, Timeout = TimeSpan.FromSeconds(1), ThreadedTransfers = threaded, PollerThreads = pollers });
        server.TransferEnded += (_, e) => ended.TrySetResult(e);
        using var client = new RawTftpClient();
        client.Request(server.LocalEndPoint!, "small");
        var (first, tid) = client.Expect();
        Assert.That(TftpCodec.ReadData(first).Block, Is.EqualTo(1));
        time.Advance(TimeSpan.FromMilliseconds(500));
        time.Advance(TimeSpan.FromMilliseconds(600));
        var (again, from) = client.Expect();
        Assert.That((TftpCodec.ReadData(again).Block, from), Is.EqualTo(((ushort)1, tid)));
        client.Ack(tid, 1);
        Assert.That(TftpCodec.ReadData(client.Expect().Packet).Block, Is.EqualTo(2));
        time.Advance(TimeSpan.FromSeconds(1.1));
        time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.That(TftpCodec.ReadData(client.Expect().Packet).Block, Is.EqualTo(2));
        Assert.That(TftpCodec.ReadData(client.Expect().Packet).Block, Is.EqualTo(2));
        time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.That(TftpCodec.ReadError(client.Expect().Packet).Code, Is.EqualTo(TftpErrorCode.NotDefined));
        var e = await ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(e.Outcome, Is.EqualTo(TftpTransferOutcome.Failed));
        Assert.That(server.Counters.Retransmissions, Is.EqualTo(3));
    }

    [Test]
    public async Task IdleServer_ArmsNoTimer_AndTheCheckAfterTheLastTransferDoesNotRearm()
    {
        // The deadline check is one-shot, armed for the earliest deadline: a server waiting for PXE clients
        // must not wake 20 times a second, as the old periodic tick did.
        var time = new ManualTimeProvider();
        await using var server = await StartAsync(new TftpServerOptions { TimeProvider = time, Timeout = TimeSpan.FromSeconds(1) });
        Assert.That(time.ArmedTimers, Is.Zero, "idle: nothing to check");
        using var client = new RawTftpClient();
        client.Request(server.LocalEndPoint!, "small");
        var (first, tid) = client.Expect();
        Assert.That(TftpCodec.ReadData(first).Block, Is.EqualTo(1));
        Assert.That(time.ArmedTimers, Is.EqualTo(1), "a transfer waits for an ACK: its deadline is armed");
        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.That(client.Receive(TimeSpan.FromMilliseconds(100)), Is.Null, "no resend before the deadline");
        for (ushort b = 1; b <= 10; b++)
        {
            client.Ack(tid, b);
            if (b < 10)
            {
                Assert.That(TftpCodec.ReadData(client.Expect().Packet).Block, Is.EqualTo(b + 1));
            }
        }
        await WaitFor(() => server.Counters.TransfersCompleted == 1);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(time.ArmedTimers, Is.Zero, "the check after the last transfer found nothing to wait for");
        Assert.That(server.Counters.Retransmissions, Is.Zero);
    }

    [Test]
    public async Task TsizeProbeAbortedWithErrorEight_IsCountedAsAborted()
    {
        await using var server = await StartAsync();
        using var client = new RawTftpClient();
        client.Request(server.LocalEndPoint!, "small", new TftpOption("tsize", "0"));
        var (oack, tid) = client.Expect();
        Assert.That(TftpCodec.ReadOptionAck(oack).Options.Single(), Is.EqualTo(new TftpOption("tsize", "5000")));
        var err = new byte[64];
        client.Send(tid, err[..TftpCodec.WriteError(err, TftpErrorCode.OptionsRefused, "User aborted the transfer")]);
        await WaitFor(() => server.Counters.TransfersAborted == 1);
        Assert.That(server.Counters.TransfersFailed, Is.Zero);
        Assert.That(client.Get(server.LocalEndPoint!, "small", new TftpOption("tsize", "0")).Content, Is.EqualTo(Small));
    }

    [TestCase(8, 1)]
    [TestCase(0, 1)]
    [TestCase(0, 0)]
    public async Task ClientThatVanishes_EndsTheTransferOnIcmpUnreachable(int threaded, int pollers)
    {
        var time = new ManualTimeProvider();
        await using var server = await StartAsync(new TftpServerOptions { TimeProvider = time, MaxRetries = 100, ThreadedTransfers = threaded, PollerThreads = pollers });
        var client = new RawTftpClient();
        client.Request(server.LocalEndPoint!, "small");
        client.Expect();
        client.Dispose();
        time.Advance(TimeSpan.FromSeconds(1.1));
        time.Advance(TimeSpan.FromSeconds(1.1));
        await WaitFor(() => server.Counters.TransfersFailed == 1);
        Assert.That(server.Counters.ActiveTransfers, Is.Zero);
    }

    [Test]
    public async Task BeyondMaxConcurrentTransfers_TheNextClientIsToldBusy()
    {
        await using var server = await StartAsync(new TftpServerOptions { MaxConcurrentTransfers = 1 });
        using var a = new RawTftpClient();
        using var b = new RawTftpClient();
        a.Request(server.LocalEndPoint!, "small");
        a.Expect();
        b.Request(server.LocalEndPoint!, "small");
        var e = TftpCodec.ReadError(b.Expect().Packet);
        Assert.That(e.Message, Does.Contain("busy"));
    }

    [TestCase(1)]
    [TestCase(0)]
    public async Task ManyConcurrentClients_AllComplete(int pollers)
    {
        // 200 at once: the first 8 get threads, the rest share one poller thread (or async receives); threads are given back.
        await using var server = await StartAsync(new TftpServerOptions { PollerThreads = pollers });
        const int Clients = 200;
        // A thread per client (the raw client blocks); the server itself runs on the thread pool.
        var tasks = Enumerable.Range(0, Clients).Select(_ => Task.Factory.StartNew(() =>
        {
            using var c = new RawTftpClient();
            return c.Get(server.LocalEndPoint!, "small", new TftpOption("blksize", "512")).Content;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(results, Has.All.EqualTo(Small));
        await WaitFor(() => server.Counters.TransfersCompleted == Clients);
        Assert.That(server.Counters.ActiveTransfers, Is.Zero);
        Assert.That(server.Poller?.Count ?? 0, Is.Zero, "the poller forgets ended transfers");
    }

    [Test]
    public async Task TransfersBeyondTheThreadedOnes_AreWatchedByThePoller_AndForgottenWhenTheyEnd()
    {
        Assume.That(Epoll.IsSupported, "epoll is used on Linux x86-64 only");
        await using var server = await StartAsync(new TftpServerOptions { ThreadedTransfers = 0, PollerThreads = 1 });
        using var client = new RawTftpClient();
        client.Request(server.LocalEndPoint!, "small", new TftpOption("blksize", "512"));
        var (oack, port) = client.Expect();
        Assert.That(TftpCodec.ReadOpcode(oack), Is.EqualTo(TftpOpcode.OptionAck));
        Assert.That(server.Poller, Is.Not.Null);
        // The transfer joins the poller just after its first answer has gone out.
        await WaitFor(() => server.Poller!.Count == 1);
        // An oversized datagram on the transfer's port is dropped, and the transfer goes on.
        client.Send(port, new byte[2000]);
        client.Ack(port, 0);
        var content = new MemoryStream();
        while (true)
        {
            var (data, from) = client.Expect();
            Assert.That(TftpCodec.ReadOpcode(data), Is.EqualTo(TftpOpcode.Data));
            content.Write(data.AsSpan(4));
            client.Ack(from, BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(2)));
            if (data.Length < 4 + 512)
            {
                break;
            }
        }
        Assert.That(content.ToArray(), Is.EqualTo(Small));
        await WaitFor(() => server.Counters.TransfersCompleted == 1);
        Assert.That(server.Poller!.Count, Is.Zero);
        Assert.That(server.Counters.PacketsDropped, Is.EqualTo(1));
    }

    [TestCase(8, 1)]
    [TestCase(0, 1)]
    [TestCase(0, 0)]
    public async Task Dispose_EndsRunningTransfers(int threaded, int pollers)
    {
        var server = await StartAsync(new TftpServerOptions { ThreadedTransfers = threaded, PollerThreads = pollers });
        using var client = new RawTftpClient();
        client.Request(server.LocalEndPoint!, "small");
        client.Expect();
        Assert.That(server.Counters.ActiveTransfers, Is.EqualTo(1));
        await server.DisposeAsync();
        Assert.That(server.Counters.ActiveTransfers, Is.Zero);
        Assert.That(server.Counters.TransfersFailed, Is.EqualTo(1));
    }

    [Test]
    public async Task Start_Twice_Throws_AndRootOptionNeedsARoot()
    {
        await using var server = await StartAsync();
        Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.Throws<ArgumentException>(() => _ = new TftpServer(new TftpServerOptions()));
    }
}
