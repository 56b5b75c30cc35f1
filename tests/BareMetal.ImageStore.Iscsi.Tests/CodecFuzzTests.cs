using System.Buffers;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Iscsi.Wire;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.ImageStore.Iscsi.Tests;

public sealed class CodecFuzzTests
{
    [Test]
    public void TryRead_EveryPrefixOfAValidPdu_NeedsMoreAndConsumesNothing()
    {
        var pdu = Initiator.Pdu(IscsiOpcode.TextRequest, 0x80, Initiator.Keys("SendTargets=All"));
        for (var n = 0; n < pdu.Length; n++)
        {
            var seq = new ReadOnlySequence<byte>(pdu, 0, n);
            Assert.That(IscsiCodec.TryRead(ref seq, 8192, out _, out _), Is.False, $"prefix {n}");
            Assert.That(seq.Length, Is.EqualTo(n));
        }
        var whole = new ReadOnlySequence<byte>(pdu);
        Assert.That(IscsiCodec.TryRead(ref whole, 8192, out var h, out var data), Is.True);
        Assert.That(whole.Length, Is.Zero);
        Assert.That(h.Opcode, Is.EqualTo(IscsiOpcode.TextRequest));
        Assert.That(data.Length, Is.EqualTo(16));
    }

    [Test]
    public void TryRead_TargetOpcodeOrHugeSegment_ThrowsTypedError()
    {
        var seq = new ReadOnlySequence<byte>(Initiator.Pdu((IscsiOpcode)0x21, 0, []));
        Assert.That(() => IscsiCodec.TryRead(ref seq, 8192, out _, out _),
            Throws.TypeOf<IscsiProtocolException>().With.Property(nameof(IscsiProtocolException.Reason)).EqualTo(IscsiProtocolError.UnknownOpcode));
        var big = Initiator.Pdu(IscsiOpcode.DataOut, 0, []);
        big[5] = 0xff;
        seq = new ReadOnlySequence<byte>(big);
        Assert.That(() => IscsiCodec.TryRead(ref seq, 8192, out _, out _),
            Throws.TypeOf<IscsiProtocolException>().With.Property(nameof(IscsiProtocolException.Reason)).EqualTo(IscsiProtocolError.DataSegmentTooLong));
    }

    /// <summary>
    /// Garbage through codec and session, before and after login: only IscsiProtocolException escapes the
    /// codec, and the session never throws (it answers, rejects or closes).
    /// </summary>
    [Test]
    public void Garbage_NeverThrowsAnythingButProtocolErrors()
    {
        using var t = new TestExports(size: 64 * 1024);
        var gen = Gen.Choose(0, 400).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n))
            .Zip(Gen.Elements(false, true)).Zip(Gen.Choose(0, 6));
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var ((garbage, loggedIn), opcode) = c;
            var i = t.NewInitiator();
            if (loggedIn)
            {
                i.Login();
            }
            // Start with a plausible opcode so the session, not just the codec, sees most cases.
            if (garbage.Length > 0)
            {
                garbage[0] = (byte)opcode;
            }
            var output = new ArrayBufferWriter<byte>();
            var seq = new ReadOnlySequence<byte>(garbage);
            try
            {
                while (i.Session.State != IscsiSessionState.Closed && IscsiCodec.TryRead(ref seq, i.Session.MaxDataSegment, out var h, out var data))
                {
                    i.Session.Handle(h, data.ToArray(), output);
                }
            }
            catch (IscsiProtocolException)
            {
            }
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void TextKeys_ParseAndEncode_RoundTrip()
    {
        Prop.ForAll(Arb.From(Gen.Elements("A", "MaxBurstLength", "X-y").Zip(Gen.Elements("1", "Yes", "None,CRC32C"))), kv =>
        {
            var bytes = TextKeys.Encode([new(kv.Item1, kv.Item2)]);
            var back = TextKeys.Parse(bytes).Single();
            return back.Key == kv.Item1 && back.Value == kv.Item2;
        }).QuickCheckThrowOnFailure();
    }
}
