using System.Buffers.Binary;
using System.Net;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Session;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tests.Tftp;

/// <summary>Drives one <see cref="TftpReadSession"/> as a client would, with time in the test's hands.</summary>
internal sealed class SessionDriver : IDisposable
{
    private readonly byte[] _buffer = new byte[TftpLimits.MaxPacketSize];

    public SessionDriver(byte[] content, TftpMode mode = TftpMode.Octet, TftpSessionLimits? limits = null, params TftpOption[] options)
        : this(new TftpRequest(TftpOpcode.ReadRequest, "file", mode, options), new VirtualFileProvider(r => r.Path == "file" ? content : null), limits)
    {
    }

    public SessionDriver(TftpRequest request, ITftpFileProvider provider, TftpSessionLimits? limits = null)
    {
        Session = new TftpReadSession(request, new IPEndPoint(IPAddress.Loopback, 2000), provider, limits ?? new TftpSessionLimits());
    }

    public TftpReadSession Session { get; }

    public TimeSpan Now { get; set; } = TimeSpan.FromSeconds(100);

    public List<Packet> Start() => Render(Session.Start(Now));

    public List<Packet> Ack(ushort block) => Send(Encode(b => TftpCodec.WriteAck(b, block)));

    public List<Packet> Error(TftpErrorCode code, string message) => Send(Encode(b => TftpCodec.WriteError(b, code, message)));

    public List<Packet> Send(byte[] datagram) => Render(Session.Handle(datagram, Now));

    public List<Packet> Advance(TimeSpan by)
    {
        Now += by;
        return Render(Session.OnTimer(Now));
    }

    private List<Packet> Render(TftpSend send)
    {
        var list = new List<Packet>();
        for (var i = 0; i < (send.Kind == TftpSendKind.None ? 0 : send.Count); i++)
        {
            var n = Session.Render(send, i, _buffer);
            list.Add(new Packet(_buffer.AsSpan(0, n).ToArray()));
        }
        return list;
    }

    private static byte[] Encode(Func<byte[], int> write)
    {
        var b = new byte[600];
        return b.AsSpan(0, write(b)).ToArray();
    }

    public void Dispose() => Session.Dispose();
}

/// <summary>A packet the session sent, decoded for assertions.</summary>
internal sealed record Packet(byte[] Bytes)
{
    public TftpOpcode Opcode => (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(Bytes);

    public ushort Block => Opcode == TftpOpcode.Data ? TftpCodec.ReadData(Bytes).Block : throw new InvalidOperationException($"{Opcode} has no block");

    public byte[] Payload => TftpCodec.ReadData(Bytes).Payload.ToArray();

    public TftpError Error => TftpCodec.ReadError(Bytes);

    public IReadOnlyList<TftpOption> Options => TftpCodec.ReadOptionAck(Bytes).Options;

    public override string ToString() => Opcode == TftpOpcode.Data ? $"DATA {Block} ({Bytes.Length - 4})" : Opcode.ToString();
}
