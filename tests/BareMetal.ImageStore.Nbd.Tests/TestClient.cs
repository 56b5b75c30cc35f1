using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Tests;

/// <summary>A minimal raw-socket NBD client for driving the server with good and bad bytes.</summary>
internal sealed class TestClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    public TestClient(IPEndPoint server)
    {
        _socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(server);
        _socket.ReceiveTimeout = 10_000;
        _socket.SendTimeout = 10_000;
        _stream = new NetworkStream(_socket);
    }

    public Socket Socket => _socket;

    public long Size { get; private set; }

    public ushort TransmissionFlags { get; private set; }

    public byte[] ReadExactly(int n)
    {
        var b = new byte[n];
        _stream.ReadExactly(b);
        return b;
    }

    public void Send(ReadOnlySpan<byte> data) => _stream.Write(data);

    /// <summary>Reads the greeting and answers with fixed newstyle + NO_ZEROES.</summary>
    public ushort Greet(uint clientFlags = NbdProtocol.ClientFlagFixedNewstyle | NbdProtocol.ClientFlagNoZeroes)
    {
        var g = ReadExactly(NbdProtocol.GreetingLength);
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(g), Is.EqualTo(NbdProtocol.InitMagic));
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(g.AsSpan(8)), Is.EqualTo(NbdProtocol.OptionMagic));
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, clientFlags);
        Send(b);
        return BinaryPrimitives.ReadUInt16BigEndian(g.AsSpan(16));
    }

    public void SendOption(uint option, ReadOnlySpan<byte> data)
    {
        var h = new byte[NbdProtocol.OptionHeaderLength];
        NbdCodec.WriteOptionHeader(h, option, (uint)data.Length);
        Send(h);
        Send(data);
    }

    /// <summary>Reads one option reply: (option, type, data).</summary>
    public (uint Option, uint Type, byte[] Data) ReadOptionReply()
    {
        var h = ReadExactly(20);
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(h), Is.EqualTo(NbdProtocol.OptionReplyMagic));
        var len = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(16));
        return (BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8)), BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12)), ReadExactly((int)len));
    }

    public static byte[] InfoRequest(string name, params ushort[] infos)
    {
        var n = Encoding.UTF8.GetBytes(name);
        var b = new byte[4 + n.Length + 2 + 2 * infos.Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)n.Length);
        n.CopyTo(b, 4);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4 + n.Length), (ushort)infos.Length);
        for (var i = 0; i < infos.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6 + n.Length + 2 * i), infos[i]);
        }
        return b;
    }

    public static byte[] MetaRequest(string name, params string[] queries)
    {
        var ms = new MemoryStream();
        var tmp = new byte[4];
        void Str(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            BinaryPrimitives.WriteUInt32BigEndian(tmp, (uint)bytes.Length);
            ms.Write(tmp);
            ms.Write(bytes);
        }
        Str(name);
        BinaryPrimitives.WriteUInt32BigEndian(tmp, (uint)queries.Length);
        ms.Write(tmp);
        foreach (var q in queries)
        {
            Str(q);
        }
        return ms.ToArray();
    }

    /// <summary>Full modern handshake: structured replies, base:allocation, OPT_GO.</summary>
    public void Connect(string name, bool structured = true, bool blockSize = true)
    {
        Greet();
        if (structured)
        {
            SendOption(NbdProtocol.OptStructuredReply, []);
            Assert.That(ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepAck));
            SendOption(NbdProtocol.OptSetMetaContext, MetaRequest(name, NbdProtocol.BaseAllocation));
            Assert.That(ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepMetaContext));
            Assert.That(ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepAck));
        }
        SendOption(NbdProtocol.OptGo, blockSize ? InfoRequest(name, NbdProtocol.InfoBlockSize) : InfoRequest(name));
        while (true)
        {
            var (_, type, data) = ReadOptionReply();
            if (type == NbdProtocol.RepAck)
            {
                return;
            }
            Assert.That(type, Is.EqualTo(NbdProtocol.RepInfo), Encoding.UTF8.GetString(data));
            if (BinaryPrimitives.ReadUInt16BigEndian(data) == NbdProtocol.InfoExport)
            {
                Size = (long)BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(2));
                TransmissionFlags = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(10));
            }
        }
    }

    public void SendRequest(ushort type, ulong offset, uint length, ulong handle = 1, ushort flags = 0, ReadOnlySpan<byte> payload = default)
    {
        var h = new byte[NbdProtocol.RequestHeaderLength];
        NbdCodec.WriteRequest(h, new NbdRequest(flags, type, handle, offset, length));
        Send(h);
        if (!payload.IsEmpty)
        {
            Send(payload);
        }
    }

    /// <summary>Reads a simple reply header: (error, handle).</summary>
    public (uint Error, ulong Handle) ReadSimpleReply()
    {
        var h = ReadExactly(16);
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(h), Is.EqualTo(NbdProtocol.SimpleReplyMagic));
        return (BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(4)), BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8)));
    }

    /// <summary>Reads one reply of either kind; for structured replies, all chunks up to DONE.</summary>
    public Reply ReadReply(long readOffset = 0, int readLength = 0)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(ReadExactly(4));
        if (magic == NbdProtocol.SimpleReplyMagic)
        {
            var rest = ReadExactly(12);
            var err = BinaryPrimitives.ReadUInt32BigEndian(rest);
            return new Reply(BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(4)), err, err == 0 && readLength > 0 ? ReadExactly(readLength) : [], []);
        }
        Assert.That(magic, Is.EqualTo(NbdProtocol.StructuredReplyMagic));
        var data = new byte[readLength];
        var chunks = new List<(ushort Type, byte[] Payload)>();
        uint error = 0;
        ulong handle;
        while (true)
        {
            var h = ReadExactly(16);
            var flags = BinaryPrimitives.ReadUInt16BigEndian(h);
            var type = BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(2));
            handle = BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(4));
            var len = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12));
            var payload = ReadExactly((int)len);
            chunks.Add((type, payload));
            if (type == NbdProtocol.ReplyTypeOffsetData)
            {
                var off = (long)BinaryPrimitives.ReadUInt64BigEndian(payload);
                payload.AsSpan(8).CopyTo(data.AsSpan((int)(off - readOffset)));
            }
            else if ((type & 0x8000) != 0)
            {
                error = BinaryPrimitives.ReadUInt32BigEndian(payload);
            }
            if ((flags & NbdProtocol.ReplyFlagDone) != 0)
            {
                break;
            }
            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(ReadExactly(4)), Is.EqualTo(NbdProtocol.StructuredReplyMagic));
        }
        return new Reply(handle, error, data, chunks);
    }

    /// <summary>True when the server closed the connection (EOF within the receive timeout).</summary>
    public bool IsClosedByServer()
    {
        try
        {
            var b = new byte[1];
            while (true)
            {
                var n = _socket.Receive(b);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }

    public sealed record Reply(ulong Handle, uint Error, byte[] Data, List<(ushort Type, byte[] Payload)> Chunks);
}
