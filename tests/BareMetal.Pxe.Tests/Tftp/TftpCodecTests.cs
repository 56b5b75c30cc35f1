using System.Buffers.Binary;
using System.Text;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tests.Tftp;

public class TftpCodecTests
{
    private static byte[] Bytes(params object[] parts)
    {
        var list = new List<byte>();
        foreach (var p in parts)
        {
            switch (p)
            {
                case int i:
                    list.Add(unchecked((byte)(i >> 8)));
                    list.Add(unchecked((byte)i));
                    break;
                case string s:
                    list.AddRange(Encoding.ASCII.GetBytes(s));
                    list.Add(0);
                    break;
                case byte[] b:
                    list.AddRange(b);
                    break;
            }
        }
        return [.. list];
    }

    private static readonly byte[] ValidRrq = Bytes(1, "pxelinux.0", "octet", "blksize", "1468", "tsize", "0");

    [Test]
    public void ReadRequest_WithOptions_ParsesEveryField()
    {
        var r = TftpCodec.ReadRequest(ValidRrq);
        Assert.Multiple(() =>
        {
            Assert.That(r.Opcode, Is.EqualTo(TftpOpcode.ReadRequest));
            Assert.That(r.Filename, Is.EqualTo("pxelinux.0"));
            Assert.That(r.Mode, Is.EqualTo(TftpMode.Octet));
            Assert.That(r.Options, Is.EqualTo(new[] { new TftpOption("blksize", "1468"), new TftpOption("tsize", "0") }));
            Assert.That(r.Option("BLKSIZE"), Is.EqualTo("1468"));
        });
    }

    [Test]
    public void ReadRequest_ModeIsCaseInsensitive()
    {
        Assert.That(TftpCodec.ReadRequest(Bytes(1, "f", "NetASCII")).Mode, Is.EqualTo(TftpMode.Netascii));
        Assert.That(TftpCodec.ReadRequest(Bytes(2, "f", "OCTET")).Opcode, Is.EqualTo(TftpOpcode.WriteRequest));
    }

    [Test]
    public void ReadRequest_EveryPrefix_ThrowsTheReasonOfWhatIsMissing()
    {
        // A request is complete only at NUL boundaries after the mode; any other cut is malformed.
        var validLengths = new HashSet<int> { Bytes(1, "pxelinux.0", "octet").Length, Bytes(1, "pxelinux.0", "octet", "blksize", "1468").Length, ValidRrq.Length };
        for (var n = 0; n <= ValidRrq.Length; n++)
        {
            var prefix = ValidRrq.AsSpan(0, n).ToArray();
            if (validLengths.Contains(n))
            {
                Assert.DoesNotThrow(() => TftpCodec.ReadRequest(prefix), $"prefix {n}");
                continue;
            }
            var e = Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(prefix), $"prefix {n}")!;
            var expected = n switch
            {
                < 2 => TftpProtocolError.Truncated,
                _ when prefix[^1] == 0 && n > 2 && prefix.Length == Bytes(1, "pxelinux.0", "octet", "blksize").Length => TftpProtocolError.OptionValueMissing,
                _ when prefix[^1] == 0 && prefix.Length == Bytes(1, "pxelinux.0", "octet", "blksize", "1468", "tsize").Length => TftpProtocolError.OptionValueMissing,
                _ => TftpProtocolError.MissingTerminator,
            };
            Assert.That(e.Reason, Is.EqualTo(expected), $"prefix {n}: {e.Message}");
        }
    }

    [TestCase(new byte[] { 0, 1, 0, (byte)'o', (byte)'c', (byte)'t', (byte)'e', (byte)'t', 0 }, TftpProtocolError.EmptyFilename)]
    [TestCase(new byte[] { 0, 9, (byte)'f', 0 }, TftpProtocolError.UnknownOpcode)]
    [TestCase(new byte[] { 0, 0 }, TftpProtocolError.UnknownOpcode)]
    [TestCase(new byte[] { 0, 4, 0, 1 }, TftpProtocolError.UnexpectedOpcode)]
    [TestCase(new byte[] { 0, 1, (byte)'f', 0, (byte)'b', (byte)'i', (byte)'n', 0 }, TftpProtocolError.UnknownMode)]
    [TestCase(new byte[] { 0, 1, 0xff, 0xfe, 0, (byte)'o', (byte)'c', (byte)'t', (byte)'e', (byte)'t', 0 }, TftpProtocolError.InvalidText)]
    public void ReadRequest_Malformed_ThrowsExactReason(byte[] packet, TftpProtocolError reason)
        => Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(packet))!.Reason, Is.EqualTo(reason));

    [Test]
    public void ReadRequest_DuplicateOption_Throws()
        => Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(Bytes(1, "f", "octet", "blksize", "512", "BLKSIZE", "1024")))!.Reason,
            Is.EqualTo(TftpProtocolError.DuplicateOption));

    [Test]
    public void ReadRequest_EmptyOptionNameBeforeMoreBytes_Throws()
        => Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(Bytes(1, "f", "octet", "", "x")))!.Reason,
            Is.EqualTo(TftpProtocolError.EmptyOptionName));

    [Test]
    public void ReadRequest_TrailingNulPadding_IsAccepted()
    {
        var padded = Bytes(1, "f", "octet", "tsize", "0", new byte[20]);
        Assert.That(TftpCodec.ReadRequest(padded).Options, Has.Count.EqualTo(1));
    }

    [Test]
    public void ReadRequest_TooManyOptions_Throws()
    {
        var parts = new List<object> { 1, "f", "octet" };
        for (var i = 0; i <= TftpLimits.MaxOptions; i++)
        {
            parts.Add($"x{i}");
            parts.Add("1");
        }
        Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(Bytes([.. parts])))!.Reason, Is.EqualTo(TftpProtocolError.TooManyOptions));
    }

    [Test]
    public void ReadRequest_LimitsAreChecked()
    {
        Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(Bytes(1, new string('a', TftpLimits.MaxFilenameLength + 1), "octet")))!.Reason,
            Is.EqualTo(TftpProtocolError.FilenameTooLong));
        Assert.DoesNotThrow(() => TftpCodec.ReadRequest(Bytes(1, new string('a', TftpLimits.MaxFilenameLength), "octet")));
        Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(Bytes(1, "f", "octet", new string('n', TftpLimits.MaxOptionNameLength + 1), "1")))!.Reason,
            Is.EqualTo(TftpProtocolError.OptionNameTooLong));
        Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(Bytes(1, "f", "octet", "n", new string('1', TftpLimits.MaxOptionValueLength + 1))))!.Reason,
            Is.EqualTo(TftpProtocolError.OptionValueTooLong));
        Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(Bytes(1, "f", new string('o', 40))))!.Reason,
            Is.EqualTo(TftpProtocolError.UnknownMode));
        Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadOpcode(new byte[TftpLimits.MaxPacketSize + 1]))!.Reason,
            Is.EqualTo(TftpProtocolError.PacketTooLarge));
    }

    [Test]
    public void Request_RoundTrips()
    {
        var r = new TftpRequest(TftpOpcode.ReadRequest, "boot/ipxe.efi", TftpMode.Octet, [new("windowsize", "16")]);
        var back = TftpCodec.ReadRequest(TftpCodec.EncodeRequest(r));
        Assert.That((back.Filename, back.Mode, back.Options[0]), Is.EqualTo((r.Filename, r.Mode, r.Options[0])));
    }

    [Test]
    public void Ack_EveryPrefixShorterThanFour_IsTruncated()
    {
        var ack = Bytes(4, 513);
        for (var n = 0; n < 4; n++)
        {
            var e = Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadAck(ack.AsSpan(0, n)))!;
            Assert.That(e.Reason, Is.EqualTo(TftpProtocolError.Truncated), $"prefix {n}");
        }
        Assert.That(TftpCodec.ReadAck(ack).Block, Is.EqualTo(513));
    }

    [Test]
    public void Ack_WriteThenRead_RoundTrips()
    {
        Span<byte> b = stackalloc byte[4];
        TftpCodec.WriteAck(b, 65535);
        Assert.That(TftpCodec.ReadAck(b).Block, Is.EqualTo(65535));
    }

    [Test]
    public void Data_EveryPrefix_TruncatedBelowHeaderThenShorterPayload()
    {
        var data = Bytes(3, 7, new byte[] { 1, 2, 3 });
        for (var n = 0; n <= data.Length; n++)
        {
            var prefix = data.AsMemory(0, n);
            if (n < 4)
            {
                Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadData(prefix))!.Reason, Is.EqualTo(TftpProtocolError.Truncated));
            }
            else
            {
                var d = TftpCodec.ReadData(prefix);
                Assert.That((d.Block, d.Payload.Length), Is.EqualTo(((ushort)7, n - 4)));
            }
        }
    }

    [Test]
    public void Error_WithAndWithoutFinalNul_Parses()
    {
        Assert.That(TftpCodec.ReadError(Bytes(5, 8, "User aborted the transfer")), Is.EqualTo(new TftpError(TftpErrorCode.OptionsRefused, "User aborted the transfer")));
        var noNul = Bytes(5, 1, Encoding.ASCII.GetBytes("gone"));
        Assert.That(TftpCodec.ReadError(noNul).Message, Is.EqualTo("gone"));
        Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadError(Bytes(5)))!.Reason, Is.EqualTo(TftpProtocolError.Truncated));
        Assert.That(Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadError(Bytes(5, 0, new string('e', TftpLimits.MaxErrorMessageLength + 1))))!.Reason,
            Is.EqualTo(TftpProtocolError.MessageTooLong));
    }

    [Test]
    public void WriteError_CutsLongMessagesAndReplacesNonAscii()
    {
        var buffer = new byte[1024];
        var n = TftpCodec.WriteError(buffer, TftpErrorCode.FileNotFound, "é" + new string('x', 2000));
        Assert.That(n, Is.EqualTo(TftpLimits.HeaderSize + TftpLimits.MaxErrorMessageLength + 1));
        var e = TftpCodec.ReadError(buffer.AsSpan(0, n));
        Assert.That(e.Code, Is.EqualTo(TftpErrorCode.FileNotFound));
        Assert.That(e.Message[0], Is.EqualTo('?'));
    }

    [Test]
    public void OptionAck_WriteThenRead_RoundTrips()
    {
        var buffer = new byte[512];
        var n = TftpCodec.WriteOptionAck(buffer, [new("blksize", "1468"), new("tsize", "123")]);
        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(buffer), Is.EqualTo(6));
        Assert.That(TftpCodec.ReadOptionAck(buffer.AsSpan(0, n)).Options, Is.EqualTo(new[] { new TftpOption("blksize", "1468"), new TftpOption("tsize", "123") }));
    }

    [Test]
    public void Exception_MessageShowsEscapedBytes()
    {
        var e = Assert.Throws<TftpProtocolException>(() => TftpCodec.ReadRequest(new byte[] { 0, 1, (byte)'a', 0x07 }))!;
        Assert.That(e.Message, Does.Contain("\\x00\\x01a\\x07"));
    }
}
