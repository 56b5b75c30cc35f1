using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Tests.Client;

/// <summary>A one-connection NBD server whose handshake is correct (structured replies, base:allocation
/// as context 1, a 1 MiB export) and whose transmission phase is whatever the test scripts: this is how
/// the client meets misbehaving servers and dropped connections.</summary>
internal sealed class ScriptedServer : IDisposable
{
    public const long Size = 1 << 20;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _run;

    public ScriptedServer(Func<NetworkStream, Task> transmission, bool structured = true)
    {
        _listener.Start();
        _run = Task.Run(async () =>
        {
            using var c = await _listener.AcceptTcpClientAsync();
            using var s = c.GetStream();
            try
            {
                await HandshakeAsync(s, structured);
                await transmission(s);
            }
            catch (IOException)
            {
                // the client hung up first
            }
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _listener.Stop();
        _run.Wait(TimeSpan.FromSeconds(10));
        _listener.Dispose();
    }

    /// <summary>Reads one 28-byte request header: (type, handle, offset, length).</summary>
    public static async Task<(ushort Type, ulong Handle, long Offset, int Length)> ReadRequestAsync(Stream s)
    {
        var h = new byte[28];
        await s.ReadExactlyAsync(h);
        return (BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(6)), BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8)), (long)BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(16)), (int)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(24)));
    }

    public static byte[] Chunk(ushort flags, ushort type, ulong handle, ReadOnlySpan<byte> payload)
    {
        var b = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, NbdProtocol.StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(8), handle);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), (uint)payload.Length);
        payload.CopyTo(b.AsSpan(20));
        return b;
    }

    public static byte[] DataChunk(ushort flags, ulong handle, long offset, ReadOnlySpan<byte> data)
    {
        var p = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(p, (ulong)offset);
        data.CopyTo(p.AsSpan(8));
        return Chunk(flags, NbdProtocol.ReplyTypeOffsetData, handle, p);
    }

    public static byte[] HoleChunk(ushort flags, ulong handle, long offset, int length)
    {
        var p = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(p, (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(8), (uint)length);
        return Chunk(flags, NbdProtocol.ReplyTypeOffsetHole, handle, p);
    }

    public static byte[] ErrorChunk(ulong handle, uint error, string message)
    {
        var m = System.Text.Encoding.UTF8.GetBytes(message);
        var p = new byte[6 + m.Length];
        BinaryPrimitives.WriteUInt32BigEndian(p, error);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)m.Length);
        m.CopyTo(p.AsSpan(6));
        return Chunk(NbdProtocol.ReplyFlagDone, NbdProtocol.ReplyTypeError, handle, p);
    }

    private static async Task HandshakeAsync(Stream s, bool structured)
    {
        var g = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(g, NbdProtocol.InitMagic);
        BinaryPrimitives.WriteUInt64BigEndian(g.AsSpan(8), NbdProtocol.OptionMagic);
        BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(16), NbdProtocol.FlagFixedNewstyle | NbdProtocol.FlagNoZeroes);
        await s.WriteAsync(g);
        await s.ReadExactlyAsync(new byte[4]);
        while (true)
        {
            var h = new byte[16];
            await s.ReadExactlyAsync(h);
            var option = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8));
            await s.ReadExactlyAsync(new byte[BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12))]);
            switch (option)
            {
                case NbdProtocol.OptStructuredReply:
                    await OptionReplyAsync(s, option, structured ? NbdProtocol.RepAck : NbdProtocol.RepErrUnsup, []);
                    break;
                case NbdProtocol.OptSetMetaContext:
                    var ctx = new byte[4 + NbdProtocol.BaseAllocation.Length];
                    BinaryPrimitives.WriteUInt32BigEndian(ctx, 1);
                    System.Text.Encoding.ASCII.GetBytes(NbdProtocol.BaseAllocation).CopyTo(ctx, 4);
                    await OptionReplyAsync(s, option, NbdProtocol.RepMetaContext, ctx);
                    await OptionReplyAsync(s, option, NbdProtocol.RepAck, []);
                    break;
                case NbdProtocol.OptGo:
                    var info = new byte[12];
                    BinaryPrimitives.WriteUInt64BigEndian(info.AsSpan(2), Size);
                    BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), NbdProtocol.TxHasFlags | NbdProtocol.TxSendFlush);
                    await OptionReplyAsync(s, option, NbdProtocol.RepInfo, info);
                    await OptionReplyAsync(s, option, NbdProtocol.RepAck, []);
                    return;
                default:
                    await OptionReplyAsync(s, option, NbdProtocol.RepErrUnsup, []);
                    break;
            }
        }
    }

    private static async Task OptionReplyAsync(Stream s, uint option, uint type, byte[] data)
    {
        var r = new byte[20 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(r, NbdProtocol.OptionReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(16), (uint)data.Length);
        data.CopyTo(r, 20);
        await s.WriteAsync(r);
    }
}
