using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Server;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests;

/// <summary>Hostile and careless clients over real loopback sockets: the server stays up, others are unaffected.</summary>
public class ServerRobustnessTests
{
    private const long Size = 64 << 20;
    private TempDir _dir = null!;
    private FileExportProvider _exports = null!;
    private NbdServer _server = null!;
    private ManualClock _clock = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("nbd-srv");
        var path = TestDisks.CreateSparse(_dir.File("disk.raw"), Size);
        _exports = new FileExportProvider(TestDisks.OpenRaw(path, false), readOnly: true, ["disk", ""]);
        _clock = new ManualClock();
        _server = new NbdServer(_exports, new NbdServerOptions { SendTimeout = TimeSpan.FromSeconds(5), HandshakeTimeout = TimeSpan.FromSeconds(5), WatchdogPeriod = TimeSpan.FromHours(1) }, time: _clock);
        _server.Start(new IPEndPoint(IPAddress.Loopback, 0));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _server.DisposeAsync();
        _exports.Dispose();
        _dir.Dispose();
    }

    /// <summary>A well-behaved client still gets correct data.</summary>
    private void AssertHealthy()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Connect("disk");
        c.SendRequest(NbdProtocol.CmdRead, 1 << 20, 4096, handle: 5);
        var r = c.ReadReply(1 << 20, 4096);
        Assert.That(r.Error, Is.Zero);
        Assert.That(r.Data, Is.All.EqualTo((byte)0x5a));
    }

    [Test]
    public void GarbageGreeting_IsDroppedAndServerStaysUp()
    {
        using (var c = new TestClient(_server.LocalEndPoint))
        {
            c.Greet();
            c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);
            Assert.That(c.IsClosedByServer(), Is.True);
        }
        AssertHealthy();
    }

    [Test]
    public void UnknownClientFlags_AreDropped()
    {
        using (var c = new TestClient(_server.LocalEndPoint))
        {
            c.Greet(0xffff_ffff);
            Assert.That(c.IsClosedByServer(), Is.True);
        }
        AssertHealthy();
    }

    [Test]
    public void LyingOptionLength_IsDroppedWithoutWaitingForData()
    {
        using (var c = new TestClient(_server.LocalEndPoint))
        {
            c.Greet();
            var h = new byte[16];
            NbdCodec.WriteOptionHeader(h, NbdProtocol.OptGo, 0xffff_fff0);
            c.Send(h);
            Assert.That(c.IsClosedByServer(), Is.True);
        }
        AssertHealthy();
    }

    [Test]
    public void UnknownOption_GetsUnsupAndGoStillWorks()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Greet();
        c.SendOption(77, [1, 2, 3, 4]);
        Assert.That(c.ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepErrUnsup));
        c.SendOption(NbdProtocol.OptGo, TestClient.InfoRequest("disk"));
        while (c.ReadOptionReply().Type != NbdProtocol.RepAck)
        {
        }
        c.SendRequest(NbdProtocol.CmdRead, 0, 512);
        Assert.That(c.ReadReply(0, 512).Error, Is.Zero);
    }

    [Test]
    public void FourGiBRead_GetsEinvalAndConnectionStays()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Connect("disk");
        c.SendRequest(NbdProtocol.CmdRead, 0, uint.MaxValue, handle: 1);
        Assert.That(c.ReadReply().Error, Is.EqualTo(NbdProtocol.EINVAL));
        c.SendRequest(NbdProtocol.CmdRead, (ulong)Size - 512, 1024, handle: 2);
        Assert.That(c.ReadReply().Error, Is.EqualTo(NbdProtocol.EINVAL));
        c.SendRequest(NbdProtocol.CmdRead, 1 << 20, 512, handle: 3);
        var ok = c.ReadReply(1 << 20, 512);
        Assert.That((ok.Handle, ok.Error), Is.EqualTo((3UL, 0u)));
    }

    [Test]
    public void Read_OfExactlyTheLimit_ReturnsData_AndOneByteMoreGetsEinvalAndKeepsConnection()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        // No block-size agreement, so alignment cannot be what refuses the odd length.
        c.Connect("disk", blockSize: false);
        c.SendRequest(NbdProtocol.CmdRead, 0, NbdLimits.MaxPayload, handle: 1);
        var big = c.ReadReply(0, NbdLimits.MaxPayload);
        Assert.That((big.Handle, big.Error), Is.EqualTo((1UL, 0u)));
        Assert.That(big.Data, Has.Length.EqualTo(NbdLimits.MaxPayload));
        Assert.That(big.Data.AsSpan().SequenceEqual(File.ReadAllBytes(_dir.File("disk.raw")).AsSpan(0, NbdLimits.MaxPayload)), Is.True, "the data of the first 32 MiB");
        c.SendRequest(NbdProtocol.CmdRead, 0, (uint)NbdLimits.MaxPayload + 1, handle: 2);
        var refused = c.ReadReply();
        Assert.That((refused.Handle, refused.Error), Is.EqualTo((2UL, NbdProtocol.EINVAL)));
        c.SendRequest(NbdProtocol.CmdRead, 1 << 20, 512, handle: 3);
        var ok = c.ReadReply(1 << 20, 512);
        Assert.That((ok.Handle, ok.Error), Is.EqualTo((3UL, 0u)));
        Assert.That(ok.Data, Is.All.EqualTo((byte)0x5a));
    }

    [Test]
    public void AcceptedSocket_HasNagleOff()
    {
        // Small replies (4 KiB reads, write acks) must not wait for the client's delayed ACK.
        using var c = new TestClient(_server.LocalEndPoint);
        c.Connect("disk");
        var connection = _server.Connections.Single();
        Assert.That(connection.Socket, Is.Not.Null);
        Assert.That(connection.Socket!.NoDelay, Is.True);
    }

    [Test]
    public void FourGiBWrite_IsDroppedAndServerStaysUp()
    {
        using (var c = new TestClient(_server.LocalEndPoint))
        {
            c.Connect("disk");
            c.SendRequest(NbdProtocol.CmdWrite, 0, uint.MaxValue);
            Assert.That(c.IsClosedByServer(), Is.True);
        }
        AssertHealthy();
    }

    [Test]
    public void PipelinedRequests_AllAnsweredWithTheirHandles()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Connect("disk", structured: false);
        for (ulong h = 1; h <= 64; h++)
        {
            c.SendRequest(NbdProtocol.CmdRead, (h - 1) * 65536, 65536, handle: h);
        }
        var seen = new HashSet<ulong>();
        for (var i = 0; i < 64; i++)
        {
            var r = c.ReadReply(0, 65536);
            Assert.That(r.Error, Is.Zero);
            seen.Add(r.Handle);
        }
        Assert.That(seen, Has.Count.EqualTo(64));
    }

    /// <summary>
    /// Hundreds of small and mixed-size reads arriving in one segment are answered in several gathered
    /// sends (the batch is cut every few KiB): every reply complete, in request order, with its data,
    /// and an error in the middle does not disturb the replies around it.
    /// </summary>
    [Test]
    public void ManySmallPipelinedReads_ComeBackCompleteAndInOrder()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Connect("disk", blockSize: false);
        var sizes = new[] { 512, 4096, 1, 20000, 4096, 65536 };
        var requests = new List<(ulong Handle, long Offset, int Length)>();
        using (var burst = new MemoryStream())
        {
            for (var i = 0; i < 300; i++)
            {
                var length = sizes[i % sizes.Length];
                long offset = (1 << 20) + ((i * 4096L) % (196608 - 65536));
                // One read past the end in the middle of the burst: EINVAL for it alone.
                if (i == 150)
                {
                    offset = Size;
                }
                requests.Add(((ulong)i + 1000, offset, length));
                var header = new byte[NbdProtocol.RequestHeaderLength];
                NbdCodec.WriteRequest(header, new NbdRequest(0, NbdProtocol.CmdRead, (ulong)i + 1000, (ulong)offset, (uint)length));
                burst.Write(header);
            }
            c.Send(burst.ToArray());
        }
        foreach (var (handle, offset, length) in requests)
        {
            var r = c.ReadReply(offset, offset == Size ? 0 : length);
            Assert.That(r.Handle, Is.EqualTo(handle));
            if (offset == Size)
            {
                Assert.That(r.Error, Is.EqualTo(NbdProtocol.EINVAL));
                continue;
            }
            Assert.That(r.Error, Is.Zero);
            Assert.That(r.Data, Is.All.EqualTo((byte)0x5a), $"data of request {handle}");
        }
        AssertHealthy();
    }

    [Test]
    public void DisconnectMidReply_DoesNotHurtServer()
    {
        for (var i = 0; i < 5; i++)
        {
            using var c = new TestClient(_server.LocalEndPoint);
            c.Connect("disk", structured: false);
            for (ulong h = 0; h < 4; h++)
            {
                c.SendRequest(NbdProtocol.CmdRead, 0, 32 << 20, handle: h);
            }
            c.ReadExactly(1000);
            c.Socket.LingerState = new LingerOption(true, 0); // RST, mid-reply
        }
        AssertHealthy();
    }

    [Test]
    public void TwoHundredSimultaneousConnections_AreAllServed()
    {
        var clients = new List<TestClient>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var c = new TestClient(_server.LocalEndPoint);
                clients.Add(c);
                c.Greet();
            }
            Parallel.ForEach(clients, new ParallelOptions { MaxDegreeOfParallelism = 16 }, (c, _, i) =>
            {
                c.SendOption(NbdProtocol.OptGo, TestClient.InfoRequest("disk"));
                while (c.ReadOptionReply().Type != NbdProtocol.RepAck)
                {
                }
                c.SendRequest(NbdProtocol.CmdRead, (ulong)(i % 64) << 20, 4096, handle: (ulong)i);
                var r = c.ReadReply(0, 4096);
                Assert.That((r.Handle, r.Error), Is.EqualTo(((ulong)i, 0u)));
            });
            Assert.That(_server.ConnectionCount, Is.EqualTo(200));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
        AssertHealthy();
    }

    [Test]
    public void ClientThatStopsReading_IsClosedByWatchdogAndOthersAreServedMeanwhile()
    {
        using var stalled = new TestClient(_server.LocalEndPoint);
        stalled.Socket.ReceiveBufferSize = 4096;
        stalled.Connect("disk", structured: false);
        // Far more reply bytes than the socket buffers can hold: the server's sends block.
        for (ulong h = 0; h < 64; h++)
        {
            stalled.SendRequest(NbdProtocol.CmdRead, 0, 32 << 20, handle: h);
        }
        AssertHealthy();
        // Wait (bounded) until the server is stuck sending to the stalled client, then let time pass.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_server.ConnectionCount > 0 && DateTime.UtcNow < deadline)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            _server.CheckStalled();
            Thread.Sleep(50);
        }
        Assert.That(_server.ConnectionCount, Is.Zero, "the stalled connection was not closed");
        AssertHealthy();
    }

    [Test]
    public void SilentClient_IsClosedAfterHandshakeTimeout()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.ReadExactly(NbdProtocol.GreetingLength);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_server.ConnectionCount == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        _clock.Advance(TimeSpan.FromSeconds(6));
        _server.CheckStalled();
        Assert.That(c.IsClosedByServer(), Is.True);
    }

    [Test]
    public void Disc_AnswersOutstandingRequestsThenCloses()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Connect("disk", structured: false);
        c.SendRequest(NbdProtocol.CmdRead, 0, 1 << 20, handle: 9);
        c.SendRequest(NbdProtocol.CmdDisc, 0, 0, handle: 10);
        var r = c.ReadReply(0, 1 << 20);
        Assert.That((r.Handle, r.Error), Is.EqualTo((9UL, 0u)));
        Assert.That(c.IsClosedByServer(), Is.True);
    }

    [Test]
    public void ExportName_OldClient_GetsSizeAndFlags()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Greet(NbdProtocol.ClientFlagFixedNewstyle);
        c.SendOption(NbdProtocol.OptExportName, "disk"u8);
        var reply = c.ReadExactly(10 + 124);
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(reply), Is.EqualTo((ulong)Size));
        c.SendRequest(NbdProtocol.CmdRead, 1 << 20, 512);
        Assert.That(c.ReadReply(1 << 20, 512).Data, Is.All.EqualTo((byte)0x5a));
    }

    /// <summary>
    /// Each connection owns a thread blocked in recv (handshake or transmission): disposing the server
    /// must still end them all promptly, by shutting their sockets down.
    /// </summary>
    [Test]
    public async Task Dispose_EndsConnectionsBlockedInReceive()
    {
        using var handshaking = new TestClient(_server.LocalEndPoint);
        handshaking.ReadExactly(NbdProtocol.GreetingLength);
        using var idle = new TestClient(_server.LocalEndPoint);
        idle.Connect("disk");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_server.ConnectionCount < 2 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.That(_server.ConnectionCount, Is.EqualTo(2));
        var dispose = _server.DisposeAsync().AsTask();
        Assert.That(await Task.WhenAny(dispose, Task.Delay(TimeSpan.FromSeconds(20))), Is.SameAs(dispose), "server dispose hung on a blocked connection");
        Assert.That(handshaking.IsClosedByServer(), Is.True);
        Assert.That(idle.IsClosedByServer(), Is.True);
    }
}
