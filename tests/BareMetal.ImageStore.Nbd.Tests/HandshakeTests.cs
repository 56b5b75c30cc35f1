using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Session;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests;

/// <summary>The option phase as a state machine: bytes of options in, option replies out, no sockets.</summary>
public class HandshakeTests
{
    private TempDir _dir = null!;
    private FileExportProvider _exports = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("nbd-hs");
        var disk = TestDisks.OpenRaw(TestDisks.CreateSparse(_dir.File("disk.raw"), 1 << 20), writable: false);
        _exports = new FileExportProvider(disk, readOnly: true, ["disk", ""], "test disk");
    }

    [TearDown]
    public void TearDown()
    {
        _exports.Dispose();
        _dir.Dispose();
    }

    internal static List<(uint Option, uint Type, byte[] Data)> Replies(ArrayBufferWriter<byte> w)
    {
        var list = new List<(uint, uint, byte[])>();
        var s = w.WrittenSpan;
        while (!s.IsEmpty)
        {
            Assert.That(BinaryPrimitives.ReadUInt64BigEndian(s), Is.EqualTo(NbdProtocol.OptionReplyMagic));
            var len = (int)BinaryPrimitives.ReadUInt32BigEndian(s[16..]);
            list.Add((BinaryPrimitives.ReadUInt32BigEndian(s[8..]), BinaryPrimitives.ReadUInt32BigEndian(s[12..]), s.Slice(20, len).ToArray()));
            s = s[(20 + len)..];
        }
        return list;
    }

    [Test]
    public void UnknownOption_GetsErrUnsupAndNegotiationContinues()
    {
        var hs = new NbdHandshake(_exports);
        var w = new ArrayBufferWriter<byte>();
        Assert.That(hs.Handle(4242, [1, 2, 3], w), Is.EqualTo(HandshakeOutcome.Continue));
        Assert.That(Replies(w).Single().Type, Is.EqualTo(NbdProtocol.RepErrUnsup));
        w.ResetWrittenCount();
        Assert.That(hs.Handle(NbdProtocol.OptGo, TestClient.InfoRequest("disk"), w), Is.EqualTo(HandshakeOutcome.Transmit));
    }

    [Test]
    public void StartTls_IsUnsupported()
    {
        var w = new ArrayBufferWriter<byte>();
        new NbdHandshake(_exports).Handle(NbdProtocol.OptStartTls, [], w);
        Assert.That(Replies(w).Single().Type, Is.EqualTo(NbdProtocol.RepErrUnsup));
    }

    [Test]
    public void List_ReturnsNamedExportThenAck()
    {
        var w = new ArrayBufferWriter<byte>();
        new NbdHandshake(_exports).Handle(NbdProtocol.OptList, [], w);
        var r = Replies(w);
        Assert.That(r.Select(x => x.Type), Is.EqualTo(new[] { NbdProtocol.RepServer, NbdProtocol.RepAck }));
        var data = r[0].Data;
        var nameLen = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
        Assert.That(Encoding.UTF8.GetString(data, 4, nameLen), Is.EqualTo("disk"));
        Assert.That(Encoding.UTF8.GetString(data, 4 + nameLen, data.Length - 4 - nameLen), Is.EqualTo("test disk"));
    }

    [Test]
    public void List_WithData_IsInvalid()
    {
        var w = new ArrayBufferWriter<byte>();
        new NbdHandshake(_exports).Handle(NbdProtocol.OptList, [0], w);
        Assert.That(Replies(w).Single().Type, Is.EqualTo(NbdProtocol.RepErrInvalid));
    }

    [TestCase(NbdProtocol.OptInfo, HandshakeOutcome.Continue)]
    [TestCase(NbdProtocol.OptGo, HandshakeOutcome.Transmit)]
    public void InfoAndGo_AnswerAlike(uint option, HandshakeOutcome outcome)
    {
        var hs = new NbdHandshake(_exports);
        var w = new ArrayBufferWriter<byte>();
        Assert.That(hs.Handle(option, TestClient.InfoRequest("disk", NbdProtocol.InfoName, NbdProtocol.InfoDescription, NbdProtocol.InfoBlockSize), w), Is.EqualTo(outcome));
        var r = Replies(w);
        Assert.That(r.Select(x => x.Option).Distinct(), Is.EqualTo(new[] { option }));
        Assert.That(r[^1].Type, Is.EqualTo(NbdProtocol.RepAck));
        var infos = r.SkipLast(1).ToDictionary(x => BinaryPrimitives.ReadUInt16BigEndian(x.Data), x => x.Data);
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(infos[NbdProtocol.InfoExport].AsSpan(2)), Is.EqualTo(1UL << 20));
        var flags = BinaryPrimitives.ReadUInt16BigEndian(infos[NbdProtocol.InfoExport].AsSpan(10));
        Assert.That(flags & (NbdProtocol.TxReadOnly | NbdProtocol.TxCanMultiConn | NbdProtocol.TxHasFlags), Is.EqualTo(NbdProtocol.TxReadOnly | NbdProtocol.TxCanMultiConn | NbdProtocol.TxHasFlags));
        Assert.That(flags & NbdProtocol.TxSendTrim, Is.Zero);
        Assert.That(Encoding.UTF8.GetString(infos[NbdProtocol.InfoName].AsSpan(2)), Is.EqualTo("disk"));
        Assert.That(Encoding.UTF8.GetString(infos[NbdProtocol.InfoDescription].AsSpan(2)), Is.EqualTo("test disk"));
        var bs = infos[NbdProtocol.InfoBlockSize];
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(bs.AsSpan(2)), Is.EqualTo(512u));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(bs.AsSpan(10)), Is.EqualTo((uint)NbdLimits.MaxPayload));
        Assert.That(hs.Export, option == NbdProtocol.OptGo ? Is.Not.Null : Is.Null);
    }

    [Test]
    public void Go_UnknownExport_GetsErrUnknownAndContinues()
    {
        var hs = new NbdHandshake(_exports);
        var w = new ArrayBufferWriter<byte>();
        Assert.That(hs.Handle(NbdProtocol.OptGo, TestClient.InfoRequest("nope"), w), Is.EqualTo(HandshakeOutcome.Continue));
        Assert.That(Replies(w).Single().Type, Is.EqualTo(NbdProtocol.RepErrUnknown));
    }

    [Test]
    public void Go_MalformedData_GetsErrInvalid()
    {
        var w = new ArrayBufferWriter<byte>();
        new NbdHandshake(_exports).Handle(NbdProtocol.OptGo, [0, 0, 0, 9, 1], w);
        Assert.That(Replies(w).Single().Type, Is.EqualTo(NbdProtocol.RepErrInvalid));
    }

    [Test]
    public void ExportName_WithNoZeroes_SendsSizeAndFlagsOnly()
    {
        var hs = new NbdHandshake(_exports);
        hs.SetClientFlags(NbdProtocol.ClientFlagFixedNewstyle | NbdProtocol.ClientFlagNoZeroes);
        var w = new ArrayBufferWriter<byte>();
        Assert.That(hs.Handle(NbdProtocol.OptExportName, "disk"u8, w), Is.EqualTo(HandshakeOutcome.Transmit));
        Assert.That(w.WrittenCount, Is.EqualTo(10));
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(w.WrittenSpan), Is.EqualTo(1UL << 20));
    }

    [Test]
    public void ExportName_WithoutNoZeroes_Sends124ZeroBytes()
    {
        var hs = new NbdHandshake(_exports);
        var w = new ArrayBufferWriter<byte>();
        hs.Handle(NbdProtocol.OptExportName, [], w);
        Assert.That(w.WrittenCount, Is.EqualTo(10 + 124));
        Assert.That(w.WrittenSpan[10..].ToArray(), Is.All.EqualTo((byte)0));
    }

    [Test]
    public void ExportName_Unknown_ThrowsUnknownExport()
    {
        var e = Assert.Throws<NbdProtocolException>(() => new NbdHandshake(_exports).Handle(NbdProtocol.OptExportName, "nope"u8, new ArrayBufferWriter<byte>()));
        Assert.That(e!.Reason, Is.EqualTo(NbdProtocolError.UnknownExport));
    }

    [Test]
    public void Abort_IsAcknowledged()
    {
        var w = new ArrayBufferWriter<byte>();
        Assert.That(new NbdHandshake(_exports).Handle(NbdProtocol.OptAbort, [], w), Is.EqualTo(HandshakeOutcome.Abort));
        Assert.That(Replies(w).Single().Type, Is.EqualTo(NbdProtocol.RepAck));
    }

    [Test]
    public void MetaContext_BeforeStructuredReplies_IsInvalid()
    {
        var w = new ArrayBufferWriter<byte>();
        new NbdHandshake(_exports).Handle(NbdProtocol.OptSetMetaContext, TestClient.MetaRequest("disk", NbdProtocol.BaseAllocation), w);
        Assert.That(Replies(w).Single().Type, Is.EqualTo(NbdProtocol.RepErrInvalid));
    }

    [Test]
    public void SetMetaContext_BaseAllocation_SelectsItForThatExport()
    {
        var hs = new NbdHandshake(_exports);
        var w = new ArrayBufferWriter<byte>();
        hs.Handle(NbdProtocol.OptStructuredReply, [], w);
        w.ResetWrittenCount();
        hs.Handle(NbdProtocol.OptSetMetaContext, TestClient.MetaRequest("disk", "x-other:thing", NbdProtocol.BaseAllocation), w);
        var r = Replies(w);
        Assert.That(r.Select(x => x.Type), Is.EqualTo(new[] { NbdProtocol.RepMetaContext, NbdProtocol.RepAck }));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(r[0].Data), Is.EqualTo(NbdProtocol.BaseAllocationId));
        Assert.That(Encoding.UTF8.GetString(r[0].Data.AsSpan(4)), Is.EqualTo(NbdProtocol.BaseAllocation));
        w.ResetWrittenCount();
        hs.Handle(NbdProtocol.OptGo, TestClient.InfoRequest("disk"), w);
        Assert.That(hs.BaseAllocation, Is.True);
    }

    [Test]
    public void ListMetaContext_NoQuery_ListsBaseAllocation()
    {
        var hs = new NbdHandshake(_exports);
        var w = new ArrayBufferWriter<byte>();
        hs.Handle(NbdProtocol.OptStructuredReply, [], w);
        w.ResetWrittenCount();
        hs.Handle(NbdProtocol.OptListMetaContext, TestClient.MetaRequest("disk"), w);
        Assert.That(Replies(w).Select(x => x.Type), Is.EqualTo(new[] { NbdProtocol.RepMetaContext, NbdProtocol.RepAck }));
    }

    [Test]
    public void Options_BeyondLimit_ThrowTooManyOptions()
    {
        var hs = new NbdHandshake(_exports);
        var w = new ArrayBufferWriter<byte>();
        for (var i = 0; i < NbdLimits.MaxOptions; i++)
        {
            hs.Handle(999, [], w);
        }
        var e = Assert.Throws<NbdProtocolException>(() => hs.Handle(999, [], w));
        Assert.That(e!.Reason, Is.EqualTo(NbdProtocolError.TooManyOptions));
    }
}
