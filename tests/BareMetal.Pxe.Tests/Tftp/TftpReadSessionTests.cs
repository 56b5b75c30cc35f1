using System.Net;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Session;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tests.Tftp;

public class TftpReadSessionTests
{
    private static byte[] Content(int length)
    {
        var b = new byte[length];
        new Random(length).NextBytes(b);
        return b;
    }

    [Test]
    public void PlainRrq_SendsBlockOneAtOnce_AndCompletesOnLastAck()
    {
        var content = Content(1000);
        using var d = new SessionDriver(content);
        var first = d.Start();
        Assert.That(first.Single().Block, Is.EqualTo(1));
        Assert.That(first[0].Payload, Has.Length.EqualTo(512));
        var second = d.Ack(1);
        Assert.That(second.Single().Payload, Is.EqualTo(content[512..]));
        Assert.That(d.Ack(2), Is.Empty);
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Completed));
    }

    [Test]
    public void ExactMultipleOfBlockSize_EndsWithEmptyBlock()
    {
        using var d = new SessionDriver(Content(1024));
        d.Start();
        d.Ack(1);
        var last = d.Ack(2).Single();
        Assert.That((last.Block, last.Payload.Length), Is.EqualTo(((ushort)3, 0)));
        d.Ack(3);
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Completed));
    }

    [Test]
    public void EmptyFile_IsOneEmptyBlock()
    {
        using var d = new SessionDriver([]);
        Assert.That(d.Start().Single().Payload, Is.Empty);
        d.Ack(1);
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Completed));
    }

    [Test]
    public void DuplicateAck_IsIgnored_SorcerersApprentice()
    {
        using var d = new SessionDriver(Content(5000));
        d.Start();
        Assert.That(d.Ack(1).Single().Block, Is.EqualTo(2));
        Assert.That(d.Ack(1), Is.Empty, "a duplicate ACK must not resend block 2");
        Assert.That(d.Ack(2).Single().Block, Is.EqualTo(3));
    }

    [Test]
    public void AckForUnsentBlock_IsIgnored()
    {
        using var d = new SessionDriver(Content(5000));
        d.Start();
        Assert.That(d.Ack(5), Is.Empty);
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Transferring));
    }

    [Test]
    public void Options_AreAcknowledged_ThenDataWaitsForAckZero()
    {
        var content = Content(3000);
        using var d = new SessionDriver(content, TftpMode.Octet, null, new("blksize", "1468"), new("tsize", "0"), new("timeout", "3"), new("unknown", "x"));
        var oack = d.Start().Single();
        Assert.That(oack.Opcode, Is.EqualTo(TftpOpcode.OptionAck));
        Assert.That(oack.Options, Is.EqualTo(new TftpOption[] { new("blksize", "1468"), new("tsize", "3000"), new("timeout", "3") }));
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.AwaitingOptionAck));
        Assert.That(d.Ack(1), Is.Empty, "only ACK 0 answers an OACK");
        var data = d.Ack(0).Single();
        Assert.That((data.Block, data.Payload.Length), Is.EqualTo(((ushort)1, 1468)));
        Assert.That(d.Session.Timeout, Is.EqualTo(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public void ErrorEightAfterOack_EndsQuietlyAsAborted()
    {
        using var d = new SessionDriver(Content(3000), TftpMode.Octet, null, new TftpOption("tsize", "0"));
        d.Start();
        Assert.That(d.Error(TftpErrorCode.OptionsRefused, "User aborted the transfer"), Is.Empty);
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Aborted));
        Assert.That(d.Session.Deadline, Is.Null);
        Assert.That(d.Advance(TimeSpan.FromMinutes(1)), Is.Empty);
    }

    [Test]
    public void ErrorMidTransfer_Fails()
    {
        using var d = new SessionDriver(Content(3000));
        d.Start();
        d.Error(TftpErrorCode.DiskFull, "disk full");
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Failed));
        Assert.That(d.Session.EndReason, Does.Contain("disk full"));
    }

    [TestCase("blksize", "65535", "65464")]
    [TestCase("blksize", "8", "8")]
    [TestCase("windowsize", "1000", "64")]
    [TestCase("windowsize", "99999", "64")]
    [TestCase("tsize", "12345", "3000")]
    public void Option_ValidButBeyondLimit_IsClamped(string name, string asked, string granted)
    {
        using var d = new SessionDriver(Content(3000), TftpMode.Octet, null, new TftpOption(name, asked));
        Assert.That(d.Start().Single().Options.Single(), Is.EqualTo(new TftpOption(name, granted)));
    }

    [Test]
    public void BlockSize_IsClampedToConfiguredMaximum()
    {
        using var d = new SessionDriver(Content(3000), TftpMode.Octet, new TftpSessionLimits { MaxBlockSize = TftpSessionLimits.BlockSizeForMtu(1500) }, new TftpOption("blksize", "8192"));
        Assert.That(d.Start().Single().Options.Single().Value, Is.EqualTo("1468"));
        Assert.That(d.Ack(0).Single().Payload, Has.Length.EqualTo(1468));
    }

    [TestCase("blksize", "7")]
    [TestCase("blksize", "0")]
    [TestCase("blksize", "-1")]
    [TestCase("blksize", "12ab")]
    [TestCase("blksize", "")]
    [TestCase("timeout", "0")]
    [TestCase("timeout", "256")]
    [TestCase("windowsize", "0")]
    [TestCase("tsize", "x")]
    [TestCase("blksize", "99999999999999999999999")]
    public void Option_OutOfRange_IsRefusedWithErrorEight(string name, string value)
    {
        using var d = new SessionDriver(Content(3000), TftpMode.Octet, null, new TftpOption(name, value));
        var reply = d.Start().Single();
        Assert.That(reply.Error.Code, Is.EqualTo(TftpErrorCode.OptionsRefused));
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Failed));
    }

    [Test]
    public void Timeout_ResendsFromLastAck_ThenGivesUpAfterRetryLimit()
    {
        var limits = new TftpSessionLimits { Timeout = TimeSpan.FromSeconds(2), MaxRetries = 3 };
        using var d = new SessionDriver(Content(5000), TftpMode.Octet, limits);
        d.Start();
        d.Ack(1);
        Assert.That(d.Advance(TimeSpan.FromSeconds(1.9)), Is.Empty, "not due yet");
        for (var i = 0; i < 3; i++)
        {
            Assert.That(d.Advance(TimeSpan.FromSeconds(0.1 + (i == 0 ? 0 : 1.9))).Single().Block, Is.EqualTo(2), $"retry {i + 1}");
        }
        var last = d.Advance(TimeSpan.FromSeconds(2)).Single();
        Assert.That(last.Error.Code, Is.EqualTo(TftpErrorCode.NotDefined));
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Failed));
        Assert.That(d.Session.Retransmissions, Is.EqualTo(3));
    }

    [Test]
    public void Progress_ResetsTheRetryCount()
    {
        var limits = new TftpSessionLimits { Timeout = TimeSpan.FromSeconds(1), MaxRetries = 1 };
        using var d = new SessionDriver(Content(5000), TftpMode.Octet, limits);
        d.Start();
        Assert.That(d.Advance(TimeSpan.FromSeconds(1)).Single().Block, Is.EqualTo(1));
        d.Ack(1);
        Assert.That(d.Advance(TimeSpan.FromSeconds(1)).Single().Block, Is.EqualTo(2));
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Transferring));
    }

    [Test]
    public void OackIsResentOnTimeout()
    {
        using var d = new SessionDriver(Content(100), TftpMode.Octet, null, new TftpOption("tsize", "0"));
        d.Start();
        Assert.That(d.Advance(TimeSpan.FromSeconds(1)).Single().Opcode, Is.EqualTo(TftpOpcode.OptionAck));
    }

    [Test]
    public void Window_SendsWindowsizeBlocks_AndLastAckOfWindowAdvances()
    {
        using var d = new SessionDriver(Content(512 * 10), TftpMode.Octet, null, new TftpOption("windowsize", "4"));
        d.Start();
        Assert.That(d.Ack(0).Select(p => (int)p.Block), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(d.Ack(4).Select(p => (int)p.Block), Is.EqualTo(new[] { 5, 6, 7, 8 }));
        Assert.That(d.Ack(8).Select(p => (int)p.Block), Is.EqualTo(new[] { 9, 10, 11 }), "the final window is short, block 11 is empty");
        d.Ack(11);
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Completed));
    }

    [Test]
    public void Window_AckInsideWindow_RewindsToTheBlockAfterIt()
    {
        using var d = new SessionDriver(Content(512 * 10), TftpMode.Octet, null, new TftpOption("windowsize", "4"));
        d.Start();
        d.Ack(0);
        Assert.That(d.Ack(2).Select(p => (int)p.Block), Is.EqualTo(new[] { 3, 4, 5, 6 }), "RFC 7440: blocks 3 and 4 were lost");
        Assert.That(d.Session.Retransmissions, Is.EqualTo(2));
        Assert.That(d.Ack(2), Is.Empty, "the same ACK again is a duplicate");
    }

    [Test]
    public void Window_TimeoutResendsWholeWindowFromLastAck()
    {
        using var d = new SessionDriver(Content(512 * 10), TftpMode.Octet, null, new TftpOption("windowsize", "4"));
        d.Start();
        d.Ack(0);
        d.Ack(4);
        Assert.That(d.Advance(TimeSpan.FromSeconds(1)).Select(p => (int)p.Block), Is.EqualTo(new[] { 5, 6, 7, 8 }));
    }

    [Test]
    public void BlockNumbers_RollOverPast65535ToZero_AndContentStaysRight()
    {
        // blksize 8: 70000 blocks is 560000 bytes, enough to wrap once.
        var content = Content(70000 * 8 + 3);
        using var d = new SessionDriver(content, TftpMode.Octet, null, new TftpOption("blksize", "8"), new TftpOption("windowsize", "7"));
        d.Start();
        var received = new MemoryStream();
        var packets = d.Ack(0);
        var expectedAbsolute = 1L;
        var sawZero = false;
        while (packets.Count > 0)
        {
            foreach (var p in packets)
            {
                Assert.That(p.Block, Is.EqualTo((ushort)(expectedAbsolute & 0xFFFF)));
                sawZero |= p.Block == 0;
                received.Write(p.Payload);
                expectedAbsolute++;
            }
            packets = d.Ack(packets[^1].Block);
        }
        Assert.That(sawZero, Is.True, "block 65536 goes out as 0");
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Completed));
        Assert.That(received.ToArray(), Is.EqualTo(content));
    }

    [Test]
    public void Rollover_RewindAcrossTheWrap_FindsTheRightBlock()
    {
        var content = Content(65540 * 8);
        using var d = new SessionDriver(content, TftpMode.Octet, null, new TftpOption("blksize", "8"), new TftpOption("windowsize", "4"));
        d.Start();
        var p = d.Ack(0);
        while (p[0].Block != 65533)
        {
            p = d.Ack(p[^1].Block);
        }
        Assert.That(p.Select(x => (int)x.Block), Is.EqualTo(new[] { 65533, 65534, 65535, 0 }));
        // The client lost 65535 and 0: it acknowledges 65534 and the window restarts there.
        Assert.That(d.Ack(65534).Select(x => (int)x.Block), Is.EqualTo(new[] { 65535, 0, 1, 2 }));
        // Now it lost 1 and 2: ACK 0 means absolute block 65536, not the OACK.
        var rewound = d.Ack(0);
        Assert.That(rewound[0].Block, Is.EqualTo(1));
        Assert.That(rewound[0].Payload, Is.EqualTo(content.AsSpan((65537 - 1) * 8, 8).ToArray()));
    }

    [Test]
    public void Netascii_ConvertsLineEnds_AndTsizeIsTheConvertedSize()
    {
        var text = "a\nb\rc\r\nd"u8.ToArray();
        using var d = new SessionDriver(text, TftpMode.Netascii, null, new TftpOption("tsize", "0"));
        var expected = "a\r\nb\r\0c\r\0\r\nd"u8.ToArray();
        Assert.That(d.Start().Single().Options.Single().Value, Is.EqualTo(expected.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(d.Ack(0).Single().Payload, Is.EqualTo(expected));
    }

    [Test]
    public void Netascii_TooLarge_IsRefused()
    {
        using var d = new SessionDriver(Content(2000), TftpMode.Netascii, new TftpSessionLimits { MaxNetasciiSize = 1000 });
        Assert.That(d.Start().Single().Error.Code, Is.EqualTo(TftpErrorCode.DiskFull));
    }

    [Test]
    public void WriteRequest_IsRefusedWithAccessViolation()
    {
        using var d = new SessionDriver(new TftpRequest(TftpOpcode.WriteRequest, "file", TftpMode.Octet, []), new VirtualFileProvider(_ => new byte[1]));
        Assert.That(d.Start().Single().Error.Code, Is.EqualTo(TftpErrorCode.AccessViolation));
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Failed));
    }

    [Test]
    public void MailMode_IsRefused()
    {
        using var d = new SessionDriver(new TftpRequest(TftpOpcode.ReadRequest, "file", TftpMode.Mail, []), new VirtualFileProvider(_ => new byte[1]));
        Assert.That(d.Start().Single().Error.Code, Is.EqualTo(TftpErrorCode.IllegalOperation));
    }

    [Test]
    public void MissingFile_IsErrorOne()
    {
        using var d = new SessionDriver(new TftpRequest(TftpOpcode.ReadRequest, "nope", TftpMode.Octet, []), new VirtualFileProvider(_ => null));
        Assert.That(d.Start().Single().Error.Code, Is.EqualTo(TftpErrorCode.FileNotFound));
    }

    [Test]
    public void UnexpectedOpcodes_AreIgnored_AndMalformedThrowsProtocolException()
    {
        using var d = new SessionDriver(Content(5000));
        d.Start();
        Assert.That(d.Send([0, 3, 0, 1, 9]), Is.Empty);
        Assert.That(d.Send(TftpCodec.EncodeRequest(new TftpRequest(TftpOpcode.ReadRequest, "x", TftpMode.Octet, []))), Is.Empty);
        Assert.Throws<TftpProtocolException>(() => d.Send([0, 4, 0]));
        Assert.That(d.Session.State, Is.EqualTo(TftpSessionState.Transferring));
    }

    [Test]
    public void ReadFailure_IsSurfacedAsIOException()
    {
        using var d = new SessionDriver(new TftpRequest(TftpOpcode.ReadRequest, "f", TftpMode.Octet, []), new ShrinkingProvider());
        Assert.Throws<IOException>(() => d.Start());
        Assert.That(d.Session.Fail(TftpErrorCode.NotDefined, "read error").Kind, Is.EqualTo(TftpSendKind.Error));
    }

    private sealed class ShrinkingProvider : ITftpFileProvider
    {
        public TftpOpenResult Open(TftpFileRequest request) => TftpOpenResult.Of(new Shrinking());

        private sealed class Shrinking : ITftpContent
        {
            public long Length => 10_000;

            public int Read(long offset, Span<byte> destination) => 0;

            public void Dispose()
            {
            }
        }
    }

    [Test]
    public void Client_IsPassedToTheProvider()
    {
        IPEndPoint? seen = null;
        using var d = new SessionDriver(new TftpRequest(TftpOpcode.ReadRequest, "/cfg", TftpMode.Octet, []), new VirtualFileProvider(r =>
        {
            seen = r.Client;
            return r.Path == "cfg" ? new byte[] { 1 } : null;
        }));
        Assert.That(d.Start().Single().Payload, Is.EqualTo(new byte[] { 1 }));
        Assert.That(seen, Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 2000)));
    }
}
