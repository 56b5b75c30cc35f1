using BareMetal.ImageStore.Nbd.Client;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Tests.Client;

/// <summary>Fuzz of the client's reply parser: after a correct handshake, a READ is answered with
/// random bytes or a valid reply with bytes flipped, and the server then hangs up. The READ must either
/// return or fail with <see cref="NbdClientException"/>, within a time limit; nothing else may escape.</summary>
public class NbdClientFuzzTests
{
    [Test]
    public async Task RandomAndMutatedReplies_OnlyEverGiveNbdClientException()
    {
        var rng = new Random(20260122);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < 120; i++)
        {
            var reply = i % 3 == 0 ? RandomBytes(rng) : Mutate(rng, ValidReply(rng));
            using var server = new ScriptedServer(async s =>
            {
                await ScriptedServer.ReadRequestAsync(s);
                await s.WriteAsync(reply);
            });
            await using var c = await NbdClient.ConnectAsync("127.0.0.1", server.Port, "");
            var buf = new byte[4096];
            string outcome;
            try
            {
                await c.ReadAsync(0, buf).WaitAsync(TimeSpan.FromSeconds(20));
                outcome = "ok";
            }
            catch (NbdClientException e)
            {
                outcome = e.Error.ToString();
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        TestContext.Out.WriteLine(string.Join(", ", outcomes.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.That(outcomes.Keys, Does.Contain("Protocol"));
        Assert.That(outcomes.Keys, Does.Contain("ConnectionLost"));
    }

    [Test]
    public void Codec_RandomHeaders_ThrowOnlyNbdClientException()
    {
        var rng = new Random(7);
        var header = new byte[20];
        for (var i = 0; i < 100_000; i++)
        {
            rng.NextBytes(header);
            if (i % 2 == 0)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header, NbdProtocol.StructuredReplyMagic);
            }

            try
            {
                var h = NbdReplyCodec.ParseHeader(header);
                var fixedLength = NbdReplyCodec.FixedPart(h, (ushort)(i % 8));
                Assert.That(fixedLength, Is.InRange(0, (int)h.Length));
                if (h.Type == NbdProtocol.ReplyTypeOffsetData)
                {
                    var at = NbdReplyCodec.DataPlacement(header.AsSpan(4, 8), h.Length - 8, 4096, 65536);
                    Assert.That(at + h.Length - 8, Is.LessThanOrEqualTo(65536));
                }
            }
            catch (NbdClientException)
            {
            }
        }
    }

    private static byte[] RandomBytes(Random rng)
    {
        var b = new byte[rng.Next(0, 200)];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>A correct structured answer to handle 1's 4 KiB READ at 0: data and hole chunks.</summary>
    private static byte[] ValidReply(Random rng)
    {
        var split = rng.Next(1, 4096);
        return [.. ScriptedServer.DataChunk(0, 1, 0, new byte[split]), .. ScriptedServer.HoleChunk(NbdProtocol.ReplyFlagDone, 1, split, 4096 - split)];
    }

    private static byte[] Mutate(Random rng, byte[] b)
    {
        var flips = rng.Next(1, 4);
        for (var i = 0; i < flips; i++)
        {
            b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
        }

        return rng.Next(4) == 0 ? b[..rng.Next(b.Length)] : b;
    }
}
