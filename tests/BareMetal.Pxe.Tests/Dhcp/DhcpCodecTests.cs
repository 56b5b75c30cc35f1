using System.Buffers.Binary;
using System.Net;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Tests.Dhcp;

public class DhcpCodecTests
{
    private static int EndOffset(byte[] d)
    {
        var i = DhcpCodec.MinimumLength;
        while (d[i] != 255)
        {
            i += d[i] == 0 ? 1 : 2 + d[i + 1];
        }
        return i;
    }

    [Test]
    public void Read_EveryPrefixOfRealDiscover_ThrowsTheExactErrorUntilEndIsIncluded()
    {
        var d = TestData.BiosDiscover;
        var end = EndOffset(d);
        var whole = DhcpPacketText.Format(DhcpCodec.Read(d));
        for (var n = 0; n < d.Length; n++)
        {
            var prefix = d.AsSpan(0, n).ToArray();
            if (n <= end)
            {
                var e = Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(prefix), $"prefix {n}")!;
                var expected = n < DhcpCodec.MinimumLength ? DhcpProtocolError.PacketTooShort : e.Error;
                Assert.That(e.Error, Is.EqualTo(expected).And.AnyOf(
                    DhcpProtocolError.PacketTooShort, DhcpProtocolError.OptionLengthMissing,
                    DhcpProtocolError.OptionValueTruncated, DhcpProtocolError.MissingEndOption), $"prefix {n}");
            }
            else
            {
                Assert.That(DhcpPacketText.Format(DhcpCodec.Read(prefix)), Is.EqualTo(whole), $"prefix {n}");
            }
        }
    }

    [Test]
    public void Read_PrefixEndingOnOptionBoundary_IsMissingEnd_AndMidOptionIsTruncated()
    {
        var d = TestData.BiosDiscover;
        // Options start with 53 (3 bytes): 240 = boundary, 241 = code only, 242 = value cut.
        Assert.That(Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(d.AsSpan(0, 243)))!.Error, Is.EqualTo(DhcpProtocolError.MissingEndOption));
        Assert.That(Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(d.AsSpan(0, 241)))!.Error, Is.EqualTo(DhcpProtocolError.OptionLengthMissing));
        Assert.That(Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(d.AsSpan(0, 242)))!.Error, Is.EqualTo(DhcpProtocolError.OptionValueTruncated));
        Assert.That(Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(d.AsSpan(0, 239)))!.Error, Is.EqualTo(DhcpProtocolError.PacketTooShort));
    }

    [TestCase(0, (byte)0, DhcpProtocolError.BadOpCode)]
    [TestCase(0, (byte)3, DhcpProtocolError.BadOpCode)]
    [TestCase(2, (byte)17, DhcpProtocolError.BadHardwareAddressLength)]
    public void Read_BadHeaderField_ThrowsExactError(int offset, byte value, DhcpProtocolError expected)
    {
        var d = TestData.BiosDiscover;
        d[offset] = value;
        var e = Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(d))!;
        Assert.That(e.Error, Is.EqualTo(expected));
        Assert.That(e.Message, Does.Contain("bytes:"), "the message shows the offending bytes");
    }

    [Test]
    public void Read_Oversized_IsPacketTooLong() =>
        Assert.That(Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(new byte[DhcpCodec.MaximumLength + 1]))!.Error, Is.EqualTo(DhcpProtocolError.PacketTooLong));

    private static byte[] WithOptions(params byte[] options)
    {
        var d = new byte[DhcpCodec.MinimumLength + options.Length];
        d[0] = 1;
        d[1] = 1;
        d[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(DhcpCodec.FixedHeaderLength), DhcpCodec.MagicCookie);
        options.CopyTo(d, DhcpCodec.MinimumLength);
        return d;
    }

    [TestCase(new byte[] { 53, 2, 1, 1, 255 }, DhcpProtocolError.InvalidOptionLength)]
    [TestCase(new byte[] { 53, 0, 255 }, DhcpProtocolError.InvalidOptionLength)]
    [TestCase(new byte[] { 93, 3, 0, 7, 0, 255 }, DhcpProtocolError.InvalidOptionLength)]
    [TestCase(new byte[] { 54, 3, 10, 0, 0, 255 }, DhcpProtocolError.InvalidOptionLength)]
    [TestCase(new byte[] { 94, 2, 1, 2, 255 }, DhcpProtocolError.InvalidOptionLength)]
    [TestCase(new byte[] { 97, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255 }, DhcpProtocolError.InvalidOptionLength)]
    [TestCase(new byte[] { 97, 17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255 }, DhcpProtocolError.BadClientIdentifierType)]
    [TestCase(new byte[] { 52, 1, 4, 255 }, DhcpProtocolError.BadOverloadValue)]
    [TestCase(new byte[] { 52, 2, 1, 1, 255 }, DhcpProtocolError.BadOverloadValue)]
    [TestCase(new byte[] { 53, 1, 1 }, DhcpProtocolError.MissingEndOption)]
    [TestCase(new byte[] { 53, 1, 1, 0, 0 }, DhcpProtocolError.MissingEndOption)]
    [TestCase(new byte[] { 53, 1, 1, 60 }, DhcpProtocolError.OptionLengthMissing)]
    [TestCase(new byte[] { 53, 1, 1, 60, 9, 1, 255 }, DhcpProtocolError.OptionValueTruncated)]
    public void Read_MalformedOptions_ThrowsExactError(byte[] options, DhcpProtocolError expected) =>
        Assert.That(Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(WithOptions(options)))!.Error, Is.EqualTo(expected));

    [Test]
    public void Read_PlainBootpWithoutCookie_HasNoOptions()
    {
        var d = new byte[300];
        d[0] = 1;
        d[1] = 1;
        d[2] = 6;
        var p = DhcpCodec.Read(d);
        Assert.That(p.Options, Is.Empty);
        Assert.That(p.MessageType, Is.Null);
    }

    [Test]
    public void Read_SplitOptionInstances_AreConcatenatedPerRfc3396()
    {
        var p = DhcpCodec.Read(WithOptions(53, 1, 1, 60, 3, (byte)'P', (byte)'X', (byte)'E', 12, 1, (byte)'h', 60, 6, (byte)'C', (byte)'l', (byte)'i', (byte)'e', (byte)'n', (byte)'t', 255));
        Assert.That(p.VendorClass, Is.EqualTo("PXEClient"));
        Assert.That(p.Options.Select(o => o.Code), Is.EqualTo(new[] { DhcpOptionCode.MessageType, DhcpOptionCode.VendorClassIdentifier, DhcpOptionCode.HostName }));
    }

    [Test]
    public void Write_LongOption_IsSplitInto255ByteInstances_AndReadsBackWhole()
    {
        var big = Enumerable.Range(0, 600).Select(i => (byte)(i % 251)).ToArray();
        var p = Packets.Request(DhcpMessageType.Discover, extra: new DhcpOption(DhcpOptionCode.VendorSpecific, big));
        var bytes = DhcpCodec.Write(p);
        var at = DhcpCodec.MinimumLength + 3;
        Assert.That((bytes[at], bytes[at + 1]), Is.EqualTo(((byte)43, (byte)255)));
        Assert.That((bytes[at + 257], bytes[at + 258]), Is.EqualTo(((byte)43, (byte)255)));
        Assert.That((bytes[at + 514], bytes[at + 515]), Is.EqualTo(((byte)43, (byte)90)));
        Assert.That(DhcpCodec.Read(bytes).Get(DhcpOptionCode.VendorSpecific), Is.EqualTo(big));
    }

    [Test]
    public void Read_Overload3_ReadsOptionsFromFileThenSname_AndConcatenatesAcrossAreas()
    {
        var d = WithOptions(53, 1, 1, 52, 1, 3, 67, 4, (byte)'b', (byte)'o', (byte)'o', (byte)'t', 255);
        // file (offset 108): the rest of option 67, then End. sname (offset 44): option 12, padded.
        byte[] file = [67, 4, (byte)'.', (byte)'e', (byte)'f', (byte)'i', 255];
        file.CopyTo(d, 108);
        byte[] sname = [12, 4, (byte)'n', (byte)'o', (byte)'d', (byte)'e', 0, 0];
        sname.CopyTo(d, 44);
        var p = DhcpCodec.Read(d);
        Assert.That(p.GetString(DhcpOptionCode.BootFileName), Is.EqualTo("boot.efi"));
        Assert.That(p.GetString(DhcpOptionCode.HostName), Is.EqualTo("node"));
        Assert.That(p.BootFile, Is.Empty, "an overloaded file field is options, not a name");
        Assert.That(p.ServerName, Is.Empty);
    }

    [Test]
    public void Read_Overload1_LeavesSnameAsAString()
    {
        var d = WithOptions(53, 1, 1, 52, 1, 1, 255);
        byte[] file = [67, 3, (byte)'a', (byte)'.', (byte)'b', 255];
        file.CopyTo(d, 108);
        "tftp.lab"u8.CopyTo(d.AsSpan(44));
        var p = DhcpCodec.Read(d);
        Assert.That(p.GetString(DhcpOptionCode.BootFileName), Is.EqualTo("a.b"));
        Assert.That(p.ServerName, Is.EqualTo("tftp.lab"));
    }

    [Test]
    public void Read_OverloadedFileWithTruncatedOption_ThrowsTruncated()
    {
        var d = WithOptions(53, 1, 1, 52, 1, 1, 255);
        d[108 + 126] = 67;
        d[108 + 127] = 9;
        Assert.That(Assert.Throws<DhcpProtocolException>(() => DhcpCodec.Read(d))!.Error, Is.EqualTo(DhcpProtocolError.OptionValueTruncated));
    }

    [Test]
    public void Write_SmallReply_IsPaddedTo300Bytes()
    {
        var bytes = DhcpCodec.Write(Packets.Request(DhcpMessageType.Discover));
        Assert.That(bytes, Has.Length.EqualTo(DhcpCodec.MinimumReplyLength));
        Assert.That(bytes[DhcpCodec.MinimumLength + 3], Is.EqualTo(255), "End follows the last option");
    }

    [Test]
    public void StringOption_WithNul_IsRefused() =>
        Assert.Throws<ArgumentException>(() => DhcpOption.String(DhcpOptionCode.BootFileName, "ipxe.efi\0"));

    [Test]
    public void Write_StringOption_HasNoTerminatingNul()
    {
        var bytes = DhcpCodec.Write(Packets.Request(DhcpMessageType.Offer, extra: DhcpOption.String(DhcpOptionCode.BootFileName, "ipxe.efi")));
        var at = DhcpCodec.MinimumLength + 3;
        Assert.That(bytes.AsSpan(at, 11).ToArray(), Is.EqualTo((byte[])[67, 8, .. "ipxe.efi"u8.ToArray(), 255]));
    }

    [Test]
    public void Read_StringWithTrailingNuls_DropsThem() =>
        Assert.That(DhcpCodec.Read(WithOptions(53, 1, 1, 60, 5, (byte)'P', (byte)'X', (byte)'E', 0, 0, 255)).VendorClass, Is.EqualTo("PXE"));

    [Test]
    public void WriteThenRead_RoundTripsHeaderAndOptions()
    {
        var p = Packets.PxeDiscover(7) with { Flags = DhcpPacket.BroadcastFlag, RelayAddress = IPAddress.Parse("10.1.2.3"), BootFile = "x.efi", ServerName = "srv" };
        var back = DhcpCodec.Read(DhcpCodec.Write(p));
        Assert.That(DhcpPacketText.Format(back), Is.EqualTo(DhcpPacketText.Format(p)));
        Assert.That(back.IsBroadcast, Is.True);
        Assert.That(back.ClientUuid, Is.EqualTo(new Guid(Packets.Uuid.AsSpan(1))));
    }

    [Test]
    public void Write_FileNameOf128Bytes_IsRefused() =>
        Assert.Throws<ArgumentException>(() => DhcpCodec.Write(Packets.Request(DhcpMessageType.Offer) with { BootFile = new string('a', 128) }));
}
