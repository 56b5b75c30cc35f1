using BareMetal.Provisioning.Power.Ipmi.Wire;

namespace BareMetal.Provisioning.Power.Tests.Ipmi;

/// <summary>The RMCP/IPMI codecs against bytes laid out from the spec and bytes captured from ipmi_sim.</summary>
public class IpmiWireTests
{
    // Captured from OpenIPMI 2.0.33 ipmi_sim on 127.0.0.1 (see IpmiInteropTests).
    private const string IpmiSimPong = "0600ff06000011be40010010000011be000000008100000000000000";
    private const string IpmiSimAuthCapabilities = "0600ff0700000000000000000010811c6320003800019704030000000009";
    private const string IpmiSimOpenSessionRefused = "0600ff070611000000000000000002000504";

    [Test]
    public void GetChannelAuthCapabilities_Request_IsTheSpecsBytes()
    {
        // RMCP 06 00 ff 07 | auth NONE, seq 0, session 0, length 9 | 20 18 c8 81 04 38 8e 04 chk.
        var request = new IpmiRequest(IpmiNetFn.App, IpmiCommand.GetChannelAuthenticationCapabilities, [0x8E, 0x04]);
        var d = IpmiSessionWrapper.WriteV15(IpmiMessage.WriteRequest(request, 1));
        Assert.That(Convert.ToHexString(d), Is.EqualTo("0600FF070000000000000000000920" + "18C8810438" + "8E04" + "B1"));
    }

    [Test]
    public void IpmiSimsAuthCapabilitiesAnswer_SaysRmcpPlusIsOffered()
    {
        var message = IpmiSessionWrapper.ReadV15(Convert.FromHexString(IpmiSimAuthCapabilities));
        var r = IpmiMessage.ReadResponse(message);
        Assert.That((r.NetFn, r.Command, r.CompletionCode), Is.EqualTo(((byte)0x07, IpmiCommand.GetChannelAuthenticationCapabilities, (byte)0)));
        var caps = ChannelAuthCapabilities.Read(r.Data);
        Assert.That(caps.SupportsIpmi20, Is.True);
        Assert.That(caps.Channel, Is.EqualTo(1));
    }

    [Test]
    public void AsfPing_IsTheSpecsBytes_AndIpmiSimsPongParses()
    {
        Assert.That(Convert.ToHexString(Asf.WritePing(1)), Is.EqualTo("0600FF06000011BE80010000"));
        var pong = Asf.ReadPong(Convert.FromHexString(IpmiSimPong));
        Assert.That(pong, Is.EqualTo(new AsfPong(1, 4542, true)));
    }

    [Test]
    public void OpenSessionRefusal_TwoBytePayloadFromIpmiSim_ParsesAsItsStatus()
    {
        var packet = IpmiSessionWrapper.ReadV2(Convert.FromHexString(IpmiSimOpenSessionRefused));
        Assert.That(packet.PayloadType, Is.EqualTo(IpmiPayloadType.OpenSessionResponse));
        var r = OpenSessionResponse.Read(packet.Payload);
        Assert.That(r.Status, Is.EqualTo(0x04));
        Assert.That(RakpStatus.Describe(r.Status), Is.EqualTo("Invalid authentication algorithm (0x04)"));
    }

    [Test]
    public void OpenSessionRequest_Suite3_LaysOutTheThreeAlgorithmRecords()
    {
        var p = new OpenSessionRequest(7, 4, 0xA0A1A2A3, CipherSuite.Suite3).Write();
        Assert.That(Convert.ToHexString(p), Is.EqualTo("0704" + "0000" + "A3A2A1A0" + "0000000801000000" + "0100000801000000" + "0200000801000000"));
    }

    [TestCase(true, true, true, BootFlags.DevicePxe, "E004000000")]
    [TestCase(true, false, false, BootFlags.DevicePxe, "8004000000")]
    [TestCase(true, true, false, BootFlags.DeviceDisk, "C008000000")]
    public void BootFlags_MatchTable28_14(bool valid, bool persistent, bool efi, byte device, string hex)
    {
        var flags = new BootFlags(valid, persistent, efi, device);
        Assert.That(Convert.ToHexString(flags.Write()), Is.EqualTo(hex));
        Assert.That(BootFlags.Read(flags.Write()), Is.EqualTo(flags));
    }

    [Test]
    public void Checksum_MakesTheCoveredBytesSumToZero()
    {
        Assert.That(IpmiMessage.Checksum([0x20, 0x18]), Is.EqualTo(0xC8));
        Assert.That(IpmiMessage.Checksum([]), Is.Zero);
    }

    [Test]
    public void Response_WithABadChecksum_IsRefusedNamingIt()
    {
        var good = Convert.FromHexString("811c632000380001970403000000000" + "9");
        var bad = (byte[])good.Clone();
        bad[^1] ^= 0xFF;
        var e = Assert.Throws<IpmiProtocolException>(() => IpmiMessage.ReadResponse(bad))!;
        Assert.That(e.Error, Is.EqualTo(IpmiProtocolError.BadChecksum));
        Assert.That(e.Message, Does.Contain("data checksum"));
    }

    [Test]
    public void EveryPrefixOfAnAuthenticatedPacket_IsAProtocolError_NeverACrash()
    {
        var k1 = new byte[20];
        var full = IpmiSessionWrapper.WriteV2(IpmiPayloadType.IpmiMessage, true, 0x1234, 5, new byte[32], CipherSuite.Suite3, k1);
        Assert.That(IpmiSessionWrapper.ReadV2(full, CipherSuite.Suite3, k1).Sequence, Is.EqualTo(5));
        for (var n = 0; n < full.Length; n++)
        {
            Assert.Throws<IpmiProtocolException>(() => IpmiSessionWrapper.ReadV2(full.AsSpan(0, n), CipherSuite.Suite3, k1), $"prefix {n}");
        }
    }

    [Test]
    public void AuthenticatedPacket_IsPaddedToFourBytes_AndAFlippedBitFailsIntegrity()
    {
        var k1 = Enumerable.Range(0, 20).Select(i => (byte)i).ToArray();
        var d = IpmiSessionWrapper.WriteV2(IpmiPayloadType.IpmiMessage, false, 1, 1, [1, 2, 3], CipherSuite.Suite3, k1);
        // authType..nextHeader = 12 header + 3 payload + pad + 2 is a multiple of 4 -> pad 3.
        Assert.That(d.Length, Is.EqualTo(4 + 12 + 3 + 3 + 2 + 12));
        Assert.That(d[19..22], Is.EqualTo(new byte[] { 0xFF, 0xFF, 0xFF }));
        d[17] ^= 1;
        var e = Assert.Throws<IpmiProtocolException>(() => IpmiSessionWrapper.ReadV2(d, CipherSuite.Suite3, k1))!;
        Assert.That(e.Error, Is.EqualTo(IpmiProtocolError.BadIntegrity));
    }

    [Test]
    public void AesCbc_RoundTrips_WithPadBytesOneTwoThree()
    {
        var k2 = Enumerable.Range(0, 20).Select(i => (byte)(i * 3)).ToArray();
        var iv = new byte[16];
        var plain = Enumerable.Range(0, 13).Select(i => (byte)i).ToArray();
        var sealedPayload = AesCbcConfidentiality.Encrypt(k2, iv, plain);
        Assert.That(sealedPayload.Length, Is.EqualTo(32), "13 bytes + pad 1,2 + pad length = one block, after the IV");
        Assert.That(AesCbcConfidentiality.Decrypt(k2, sealedPayload), Is.EqualTo(plain));
        var wrongKey = (byte[])k2.Clone();
        wrongKey[0] ^= 1;
        Assert.Throws<IpmiProtocolException>(() => AesCbcConfidentiality.Decrypt(wrongKey, sealedPayload));
    }

    [TestCase("", IpmiProtocolError.Truncated)]
    [TestCase("0500ff07", IpmiProtocolError.BadRmcpHeader)]
    [TestCase("0600ff09", IpmiProtocolError.BadRmcpHeader)]
    [TestCase("0600ff0702", IpmiProtocolError.Truncated)]
    [TestCase("0600ff07060000000000000000001000", IpmiProtocolError.BadLength)]
    public void MalformedDatagrams_AreRefusedWithTheirReason(string hex, IpmiProtocolError error)
    {
        var e = Assert.Throws<IpmiProtocolException>(() => IpmiSessionWrapper.ReadV2(Convert.FromHexString(hex)))!;
        Assert.That(e.Error, Is.EqualTo(error));
    }

    [Test]
    public void ErrorMessages_ShowOnlyTheHeaders_NeverTheKeyExchangeCodesBehindThem()
    {
        // An RMCP+ header claiming more payload than there is, followed by a "secret" tail.
        var d = Convert.FromHexString("0600ff07" + "0613" + "00000000" + "00000000" + "ff00" + "5ec7e75ec7e75ec7e75ec7e7");
        var e = Assert.Throws<IpmiProtocolException>(() => IpmiSessionWrapper.ReadV2(d))!;
        Assert.That(e.Error, Is.EqualTo(IpmiProtocolError.BadLength));
        Assert.That(e.Message, Does.Contain("0600ff0706130000").And.Contain("...").And.Not.Contain("5ec7e7"));
    }

    [TestCase((byte)0xC0, "Node Busy (0xc0)")]
    [TestCase((byte)0xCC, "Invalid data field in Request (0xcc)")]
    [TestCase((byte)0xD4, "Cannot execute command due to insufficient privilege level (0xd4)")]
    public void CompletionCodes_CarryTheSpecsNames(byte code, string text) =>
        Assert.That(IpmiCompletionCode.Describe(code), Is.EqualTo(text));
}
