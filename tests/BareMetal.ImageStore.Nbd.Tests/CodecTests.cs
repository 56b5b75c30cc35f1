using System.Buffers;
using System.Buffers.Binary;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Tests;

public class CodecTests
{
    private static byte[] Option(uint option, byte[] data)
    {
        var b = new byte[NbdProtocol.OptionHeaderLength + data.Length];
        NbdCodec.WriteOptionHeader(b, option, (uint)data.Length);
        data.CopyTo(b, NbdProtocol.OptionHeaderLength);
        return b;
    }

    private static byte[] Request(ushort type, ulong offset, uint length, ushort flags = 0, ulong handle = 7)
    {
        var b = new byte[NbdProtocol.RequestHeaderLength];
        NbdCodec.WriteRequest(b, new NbdRequest(flags, type, handle, offset, length));
        return b;
    }

    [Test]
    public void TryReadOption_EveryPrefix_NeedsMoreAndConsumesNothing()
    {
        var msg = Option(NbdProtocol.OptGo, TestClient.InfoRequest("disk", NbdProtocol.InfoBlockSize));
        for (var n = 0; n < msg.Length; n++)
        {
            var seq = new ReadOnlySequence<byte>(msg, 0, n);
            Assert.That(NbdCodec.TryReadOption(ref seq, out _, out _), Is.False, $"prefix {n}");
            Assert.That(seq.Length, Is.EqualTo(n), $"prefix {n} consumed bytes");
        }
        var all = new ReadOnlySequence<byte>(msg);
        Assert.That(NbdCodec.TryReadOption(ref all, out var header, out var data), Is.True);
        Assert.That(header, Is.EqualTo(new NbdOptionHeader(NbdProtocol.OptGo, (uint)(msg.Length - 16))));
        Assert.That(data.Length, Is.EqualTo(msg.Length - 16));
        Assert.That(all.Length, Is.Zero);
    }

    [Test]
    public void TryReadRequest_EveryPrefix_NeedsMoreAndConsumesNothing()
    {
        var msg = Request(NbdProtocol.CmdRead, 4096, 512, NbdProtocol.CmdFlagFua);
        for (var n = 0; n < msg.Length; n++)
        {
            var seq = new ReadOnlySequence<byte>(msg, 0, n);
            Assert.That(NbdCodec.TryReadRequest(ref seq, out _), Is.False, $"prefix {n}");
            Assert.That(seq.Length, Is.EqualTo(n));
        }
        var all = new ReadOnlySequence<byte>(msg);
        Assert.That(NbdCodec.TryReadRequest(ref all, out var r), Is.True);
        Assert.That(r, Is.EqualTo(new NbdRequest(NbdProtocol.CmdFlagFua, NbdProtocol.CmdRead, 7, 4096, 512)));
    }

    [Test]
    public void TryReadClientFlags_EveryPrefix_NeedsMore()
    {
        byte[] msg = [0, 0, 0, 3];
        for (var n = 0; n < msg.Length; n++)
        {
            var seq = new ReadOnlySequence<byte>(msg, 0, n);
            Assert.That(NbdCodec.TryReadClientFlags(ref seq, 3, out _), Is.False);
        }
        var all = new ReadOnlySequence<byte>(msg);
        Assert.That(NbdCodec.TryReadClientFlags(ref all, 3, out var f), Is.True);
        Assert.That(f, Is.EqualTo(3u));
    }

    [Test]
    public void TryReadClientFlags_UnknownBit_ThrowsUnknownClientFlags()
    {
        var seq = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 5 });
        var e = Assert.Throws<NbdProtocolException>(() => NbdCodec.TryReadClientFlags(ref seq, 3, out _));
        Assert.That(e!.Reason, Is.EqualTo(NbdProtocolError.UnknownClientFlags));
    }

    [Test]
    public void TryReadClientFlags_NoZeroesNotOffered_Throws()
    {
        var seq = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 3 });
        var e = Assert.Throws<NbdProtocolException>(() => NbdCodec.TryReadClientFlags(ref seq, NbdProtocol.FlagFixedNewstyle, out _));
        Assert.That(e!.Reason, Is.EqualTo(NbdProtocolError.UnknownClientFlags));
    }

    [Test]
    public void TryReadOption_BadMagic_ThrowsBadMagicAfterEightBytes()
    {
        var seq = new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray().AsMemory(0, 8));
        var e = Assert.Throws<NbdProtocolException>(() => NbdCodec.TryReadOption(ref seq, out _, out _));
        Assert.That(e!.Reason, Is.EqualTo(NbdProtocolError.BadMagic));
        Assert.That(e.Message, Does.Contain("474554202f204854"));
    }

    [Test]
    public void TryReadOption_LyingLength_ThrowsOptionTooLongBeforeData()
    {
        var h = new byte[16];
        NbdCodec.WriteOptionHeader(h, NbdProtocol.OptGo, uint.MaxValue);
        var seq = new ReadOnlySequence<byte>(h);
        var e = Assert.Throws<NbdProtocolException>(() => NbdCodec.TryReadOption(ref seq, out _, out _));
        Assert.That(e!.Reason, Is.EqualTo(NbdProtocolError.OptionTooLong));
    }

    [Test]
    public void TryReadOption_AtLimit_NeedsMore()
    {
        var h = new byte[16];
        NbdCodec.WriteOptionHeader(h, 99, NbdLimits.MaxOptionData);
        var seq = new ReadOnlySequence<byte>(h);
        Assert.That(NbdCodec.TryReadOption(ref seq, out _, out _), Is.False);
    }

    [Test]
    public void TryReadRequest_BadMagic_ThrowsBadMagic()
    {
        var msg = Request(NbdProtocol.CmdRead, 0, 512);
        msg[0] ^= 0xff;
        var seq = new ReadOnlySequence<byte>(msg, 0, 4);
        var e = Assert.Throws<NbdProtocolException>(() => NbdCodec.TryReadRequest(ref seq, out _));
        Assert.That(e!.Reason, Is.EqualTo(NbdProtocolError.BadMagic));
    }

    [Test]
    public void TryReadRequest_FourGiBWrite_ThrowsPayloadTooLong()
    {
        var seq = new ReadOnlySequence<byte>(Request(NbdProtocol.CmdWrite, 0, uint.MaxValue));
        var e = Assert.Throws<NbdProtocolException>(() => NbdCodec.TryReadRequest(ref seq, out _));
        Assert.That(e!.Reason, Is.EqualTo(NbdProtocolError.PayloadTooLong));
    }

    [Test]
    public void TryReadRequest_FourGiBRead_ParsesForTheSessionToRefuse()
    {
        var seq = new ReadOnlySequence<byte>(Request(NbdProtocol.CmdRead, 0, uint.MaxValue));
        Assert.That(NbdCodec.TryReadRequest(ref seq, out var r), Is.True);
        Assert.That(r.Length, Is.EqualTo(uint.MaxValue));
    }

    [Test]
    public void TryParseInfoRequest_CountDisagreesWithLength_IsInvalid()
    {
        var b = TestClient.InfoRequest("x", 1, 2);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(5), 3);
        Assert.That(NbdCodec.TryParseInfoRequest(b, out _, out _), Is.False);
    }

    [Test]
    public void TryParseInfoRequest_NameLengthBeyondData_IsInvalid()
    {
        var b = TestClient.InfoRequest("abc");
        BinaryPrimitives.WriteUInt32BigEndian(b, 1000);
        Assert.That(NbdCodec.TryParseInfoRequest(b, out _, out _), Is.False);
    }

    [Test]
    public void TryParseInfoRequest_NameWithNul_IsInvalid()
    {
        Assert.That(NbdCodec.TryParseInfoRequest(TestClient.InfoRequest("a\0b"), out _, out _), Is.False);
    }

    [Test]
    public void TryParseMetaContextRequest_Valid_ReturnsQueries()
    {
        Assert.That(NbdCodec.TryParseMetaContextRequest(TestClient.MetaRequest("d", "base:allocation", "x-y:z"), out var name, out var q), Is.True);
        Assert.That(name, Is.EqualTo("d"));
        Assert.That(q, Is.EqualTo(new[] { "base:allocation", "x-y:z" }));
    }

    [Test]
    public void TryParseMetaContextRequest_HugeQueryCount_IsInvalid()
    {
        var b = TestClient.MetaRequest("d");
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(5), uint.MaxValue);
        Assert.That(NbdCodec.TryParseMetaContextRequest(b, out _, out _), Is.False);
    }

    [Test]
    public void TryParseMetaContextRequest_TrailingBytes_IsInvalid()
    {
        byte[] b = [.. TestClient.MetaRequest("d", "base:allocation"), 0];
        Assert.That(NbdCodec.TryParseMetaContextRequest(b, out _, out _), Is.False);
    }
}
