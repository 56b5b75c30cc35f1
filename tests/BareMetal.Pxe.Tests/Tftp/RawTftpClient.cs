using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tests.Tftp;

/// <summary>A TFTP client made of raw datagrams, so tests can misbehave on purpose.</summary>
internal sealed class RawTftpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[65536];

    public RawTftpClient(AddressFamily family = AddressFamily.InterNetwork)
    {
        _socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, 0));
    }

    public void Send(IPEndPoint to, byte[] packet) => _socket.SendTo(packet, to);

    public void Request(IPEndPoint server, string file, params TftpOption[] options)
        => Send(server, TftpCodec.EncodeRequest(new TftpRequest(TftpOpcode.ReadRequest, file, TftpMode.Octet, options)));

    public void Ack(IPEndPoint to, ushort block)
    {
        var b = new byte[4];
        TftpCodec.WriteAck(b, block);
        Send(to, b);
    }

    /// <summary>The next datagram, or null after <paramref name="timeout"/> (a real wait: only for "nothing comes" checks and live sockets).</summary>
    public (byte[] Packet, IPEndPoint From)? Receive(TimeSpan? timeout = null)
    {
        _socket.ReceiveTimeout = (int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        EndPoint from = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        try
        {
            var n = _socket.ReceiveFrom(_buffer, ref from);
            return (_buffer.AsSpan(0, n).ToArray(), (IPEndPoint)from);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }

    public (byte[] Packet, IPEndPoint From) Expect()
        => Receive() ?? throw new AssertionException("no packet from the server within 10 s");

    /// <summary>Downloads <paramref name="file"/> in lock step; returns the bytes and the server's transfer port.</summary>
    public (byte[] Content, IPEndPoint Tid) Get(IPEndPoint server, string file, params TftpOption[] options)
    {
        Request(server, file, options);
        var blksize = 512;
        var content = new MemoryStream();
        ushort expected = 1;
        while (true)
        {
            var (p, from) = Expect();
            switch (TftpCodec.ReadOpcode(p))
            {
                case TftpOpcode.OptionAck:
                    foreach (var o in TftpCodec.ReadOptionAck(p).Options)
                    {
                        if (o.Is("blksize"))
                        {
                            blksize = int.Parse(o.Value, System.Globalization.CultureInfo.InvariantCulture);
                        }
                    }
                    Ack(from, 0);
                    break;
                case TftpOpcode.Data:
                    var block = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2));
                    if (block == expected)
                    {
                        content.Write(p.AsSpan(4));
                        expected++;
                    }
                    Ack(from, block);
                    if (p.Length - 4 < blksize)
                    {
                        return (content.ToArray(), from);
                    }
                    break;
                case TftpOpcode.Error:
                    var e = TftpCodec.ReadError(p);
                    throw new TftpErrorException(e.Code, e.Message);
                default:
                    throw new AssertionException($"unexpected {TftpCodec.ReadOpcode(p)}");
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}

internal sealed class TftpErrorException(TftpErrorCode code, string message) : Exception($"TFTP error {code}: {message}")
{
    public TftpErrorCode Code { get; } = code;
}
