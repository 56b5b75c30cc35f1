using System.Diagnostics;
using System.Net;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Session;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Fuzz.Tests.Tftp;

/// <summary>
/// Random and mutated datagrams through the TFTP codec and the read session: the only exception
/// allowed is <see cref="TftpProtocolException"/>, and every answer must render cleanly. Bounded by
/// count and by time so CI stays fast; the seed is printed so a failure can be replayed.
/// </summary>
public class TftpFuzzTests
{
    private const int Iterations = 100_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(40);

    private static readonly byte[][] Seeds =
    [
        TftpCodec.EncodeRequest(new TftpRequest(TftpOpcode.ReadRequest, "pxelinux.0", TftpMode.Octet, [new("blksize", "1468"), new("tsize", "0"), new("windowsize", "8"), new("timeout", "2")])),
        TftpCodec.EncodeRequest(new TftpRequest(TftpOpcode.ReadRequest, "/boot/ipxe.efi", TftpMode.Netascii, [])),
        TftpCodec.EncodeRequest(new TftpRequest(TftpOpcode.WriteRequest, "up", TftpMode.Octet, [new("tsize", "100")])),
        [0, 4, 0, 1],
        [0, 4, 0, 0],
        [0, 4, 0xff, 0xff],
        [0, 5, 0, 8, (byte)'a', (byte)'b', 0],
        [0, 3, 0, 1, 1, 2, 3],
        [0, 6, (byte)'b', (byte)'l', (byte)'k', 0, (byte)'9', 0],
    ];

    private static byte[] Mutate(Random rng, byte[] input)
    {
        var b = new List<byte>(input);
        var steps = rng.Next(1, 5);
        for (var s = 0; s < steps; s++)
        {
            switch (rng.Next(8))
            {
                case 0 when b.Count > 0:
                    b[rng.Next(b.Count)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:
                    b.Insert(rng.Next(b.Count + 1), (byte)rng.Next(256));
                    break;
                case 2 when b.Count > 0:
                    b.RemoveAt(rng.Next(b.Count));
                    break;
                case 3 when b.Count > 0:
                    b.RemoveRange(rng.Next(b.Count), b.Count - rng.Next(b.Count) > 0 ? 1 : 0);
                    b = b.Take(rng.Next(b.Count + 1)).ToList();
                    break;
                case 4 when b.Count > 0:
                    b[rng.Next(b.Count)] = new byte[] { 0, 0xff, (byte)'.', (byte)'/', (byte)'\\', 0x80, (byte)'0' }[rng.Next(7)];
                    break;
                case 5:
                    var other = Seeds[rng.Next(Seeds.Length)];
                    b.AddRange(other.Skip(rng.Next(other.Length)));
                    break;
                case 6:
                    var junk = new byte[rng.Next(0, 40)];
                    rng.NextBytes(junk);
                    b.InsertRange(rng.Next(b.Count + 1), junk);
                    break;
                default:
                    if (rng.Next(200) == 0)
                    {
                        // Now and then a huge one, to hit the size limits.
                        b.AddRange(new byte[rng.Next(60_000, 70_000)]);
                    }
                    break;
            }
        }
        return [.. b];
    }

    private static byte[] NextInput(Random rng)
    {
        if (rng.Next(10) == 0)
        {
            var raw = new byte[rng.Next(0, 64)];
            rng.NextBytes(raw);
            return raw;
        }
        return Mutate(rng, Seeds[rng.Next(Seeds.Length)]);
    }

    [Test]
    public void Codec_RandomAndMutatedDatagrams_OnlyThrowProtocolException()
    {
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        var clock = Stopwatch.StartNew();
        var n = 0;
        for (; n < Iterations && clock.Elapsed < Budget; n++)
        {
            var input = NextInput(rng);
            foreach (var read in Readers)
            {
                try
                {
                    read(input);
                }
                catch (TftpProtocolException)
                {
                }
                catch (Exception e)
                {
                    Assert.Fail($"seed {seed}, input {Convert.ToHexString(input[..Math.Min(input.Length, 200)])}: {e}");
                }
            }
        }
        TestContext.Progress.WriteLine($"codec fuzz: {n} inputs, seed {seed}");
        Assert.That(n, Is.GreaterThan(1000));
    }

    private static readonly Action<byte[]>[] Readers =
    [
        b => TftpCodec.ReadOpcode(b),
        b => TftpCodec.ReadRequest(b),
        b => TftpCodec.ReadAck(b),
        b => TftpCodec.ReadError(b),
        b => TftpCodec.ReadData(b),
        b => TftpCodec.ReadOptionAck(b),
    ];

    [Test]
    public void Session_RandomRequestsAndReplies_OnlyThrowProtocolException_AndAlwaysRender()
    {
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        var content = new byte[70_000];
        rng.NextBytes(content);
        var provider = new VirtualFileProvider(r => r.Path.StartsWith('p') || r.Path.StartsWith('b') ? content : null);
        var buffer = new byte[TftpLimits.MaxPacketSize];
        var clock = Stopwatch.StartNew();
        var packets = 0;
        var sessions = 0;
        while (packets < Iterations && clock.Elapsed < Budget)
        {
            sessions++;
            TftpRequest request;
            try
            {
                request = TftpCodec.ReadRequest(Mutate(rng, Seeds[rng.Next(3)]));
            }
            catch (TftpProtocolException)
            {
                continue;
            }
            using var session = new TftpReadSession(request, new IPEndPoint(IPAddress.Loopback, 9), provider,
                new TftpSessionLimits { MaxBlockSize = rng.Next(8, 9000), MaxWindowSize = rng.Next(1, 20), MaxRetries = 3 });
            var now = TimeSpan.FromSeconds(rng.Next(1000));
            void RenderAll(TftpSend send)
            {
                for (var i = 0; i < (send.Kind == TftpSendKind.None ? 0 : send.Count); i++)
                {
                    var n = session.Render(send, i, buffer);
                    Assert.That(n, Is.InRange(TftpLimits.HeaderSize, TftpLimits.MaxPacketSize));
                }
            }
            try
            {
                RenderAll(session.Start(now));
                for (var step = 0; step < 50 && !session.IsOver; step++, packets++)
                {
                    now += TimeSpan.FromMilliseconds(rng.Next(0, 1500));
                    if (rng.Next(5) == 0)
                    {
                        RenderAll(session.OnTimer(now));
                        continue;
                    }
                    byte[] input;
                    if (rng.Next(3) == 0)
                    {
                        input = NextInput(rng);
                    }
                    else
                    {
                        // Mostly plausible ACKs, near the window, so the state machine gets deep.
                        input = new byte[4];
                        TftpCodec.WriteAck(input, (ushort)rng.Next(0, 300));
                    }
                    try
                    {
                        RenderAll(session.Handle(input, now));
                    }
                    catch (TftpProtocolException)
                    {
                    }
                }
            }
            catch (Exception e) when (e is not AssertionException)
            {
                Assert.Fail($"seed {seed}, session {sessions}, request {request.Filename} {string.Join(",", request.Options)}: {e}");
            }
        }
        TestContext.Progress.WriteLine($"session fuzz: {sessions} sessions, {packets} packets, seed {seed}");
        Assert.That(packets, Is.GreaterThan(1000));
    }
}
