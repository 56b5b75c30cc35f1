using System.Buffers.Binary;
using BareMetal.ImageStore.Nbd.Client;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Tests.Client;

/// <summary>Servers that break the protocol, fail requests or hang up: each gives one clear
/// <see cref="NbdClientException"/> and never a hang or a different exception.</summary>
public class NbdClientMisbehavingServerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static async Task<NbdClientException> ReadExpectingFailure(Func<System.Net.Sockets.NetworkStream, Task> script, int length = 4096, bool structured = true)
    {
        using var server = new ScriptedServer(script, structured);
        await using var c = await NbdClient.ConnectAsync("127.0.0.1", server.Port, "");
        var e = Assert.ThrowsAsync<NbdClientException>(() => c.ReadAsync(0, new byte[length]).WaitAsync(Limit));
        return e!;
    }

    [Test]
    public async Task ServerClosesWithRequestOutstanding_IsConnectionLost()
    {
        var e = await ReadExpectingFailure(async s => await ScriptedServer.ReadRequestAsync(s));
        Assert.That(e.Error, Is.EqualTo(NbdClientError.ConnectionLost));
        Assert.That(e.Message, Does.Contain("closed the connection"));
    }

    [Test]
    public async Task ErrorChunk_IsServerErrorWithErrnoAndMessage_AndConnectionStaysUsable()
    {
        using var server = new ScriptedServer(async s =>
        {
            var (_, h, _, _) = await ScriptedServer.ReadRequestAsync(s);
            await s.WriteAsync(ScriptedServer.ErrorChunk(h, NbdProtocol.EIO, "media error\n"));
            var (_, h2, off, len) = await ScriptedServer.ReadRequestAsync(s);
            await s.WriteAsync(ScriptedServer.DataChunk(NbdProtocol.ReplyFlagDone, h2, off, new byte[len]));
            await ScriptedServer.ReadRequestAsync(s); // DISC
        });
        await using var c = await NbdClient.ConnectAsync("127.0.0.1", server.Port, "");
        var e = Assert.ThrowsAsync<NbdClientException>(() => c.ReadAsync(0, new byte[4096]).WaitAsync(Limit));
        Assert.That(e!.Error, Is.EqualTo(NbdClientError.ServerError));
        Assert.That(e.ErrorNumber, Is.EqualTo(NbdProtocol.EIO));
        Assert.That(e.Message, Does.Contain("EIO").And.Contain("media error?"));
        await c.ReadAsync(4096, new byte[4096]).WaitAsync(Limit);
    }

    [Test]
    public async Task ChunkOutsideTheRequest_IsProtocolError()
    {
        var e = await ReadExpectingFailure(async s =>
        {
            var (_, h, _, len) = await ScriptedServer.ReadRequestAsync(s);
            await s.WriteAsync(ScriptedServer.DataChunk(NbdProtocol.ReplyFlagDone, h, 8192, new byte[len]));
        });
        Assert.That(e.Error, Is.EqualTo(NbdClientError.Protocol));
        Assert.That(e.Message, Does.Contain("outside the request"));
    }

    [Test]
    public async Task ChunksLeavingAGap_IsProtocolError()
    {
        var e = await ReadExpectingFailure(async s =>
        {
            var (_, h, off, _) = await ScriptedServer.ReadRequestAsync(s);
            await s.WriteAsync(ScriptedServer.DataChunk(0, h, off, new byte[1024]));
            await s.WriteAsync(ScriptedServer.HoleChunk(NbdProtocol.ReplyFlagDone, h, off + 2048, 2048));
        });
        Assert.That(e.Error, Is.EqualTo(NbdClientError.Protocol));
        Assert.That(e.Message, Does.Contain("gap"));
    }

    [Test]
    public async Task DataThenHole_FillsZeros()
    {
        using var server = new ScriptedServer(async s =>
        {
            var (_, h, off, _) = await ScriptedServer.ReadRequestAsync(s);
            await s.WriteAsync(ScriptedServer.HoleChunk(0, h, off + 1024, 3072));
            await s.WriteAsync(ScriptedServer.DataChunk(NbdProtocol.ReplyFlagDone, h, off, Enumerable.Repeat((byte)9, 1024).ToArray()));
            await ScriptedServer.ReadRequestAsync(s);
        });
        await using var c = await NbdClient.ConnectAsync("127.0.0.1", server.Port, "");
        var b = Enumerable.Repeat((byte)0xff, 4096).ToArray();
        await c.ReadAsync(0, b).WaitAsync(Limit);
        Assert.That(b[..1024], Is.All.EqualTo((byte)9));
        Assert.That(b[1024..], Is.All.EqualTo((byte)0));
    }

    [Test]
    public async Task SimpleRepliesOnly_ReadStillWorks()
    {
        using var server = new ScriptedServer(
            async s =>
            {
                var (_, h, _, len) = await ScriptedServer.ReadRequestAsync(s);
                var r = new byte[16 + len];
                BinaryPrimitives.WriteUInt32BigEndian(r, NbdProtocol.SimpleReplyMagic);
                BinaryPrimitives.WriteUInt64BigEndian(r.AsSpan(8), h);
                r.AsSpan(16).Fill(3);
                await s.WriteAsync(r);
                await ScriptedServer.ReadRequestAsync(s);
            },
            structured: false);
        await using var c = await NbdClient.ConnectAsync("127.0.0.1", server.Port, "");
        Assert.That(c.Info.StructuredReplies, Is.False);
        var b = new byte[4096];
        await c.ReadAsync(0, b).WaitAsync(Limit);
        Assert.That(b, Is.All.EqualTo((byte)3));
        Assert.ThrowsAsync<NbdClientException>(() => c.BlockStatusAsync(0, 4096));
    }

    [Test]
    public async Task ReplyForUnknownHandle_FailsEveryOutstandingRequest()
    {
        var e = await ReadExpectingFailure(async s =>
        {
            var (_, h, off, len) = await ScriptedServer.ReadRequestAsync(s);
            await s.WriteAsync(ScriptedServer.DataChunk(NbdProtocol.ReplyFlagDone, h + 77, off, new byte[len]));
        });
        Assert.That(e.Error, Is.EqualTo(NbdClientError.Protocol));
        Assert.That(e.Message, Does.Contain("no request outstanding"));
    }
}
