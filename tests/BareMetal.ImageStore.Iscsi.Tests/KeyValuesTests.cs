using BareMetal.ImageStore.Iscsi.Wire;

namespace BareMetal.ImageStore.Iscsi.Tests;

public sealed class KeyValuesTests
{
    [TestCase("0x00ff10", new byte[] { 0x00, 0xff, 0x10 })]
    [TestCase("0XABcd", new byte[] { 0xab, 0xcd })]
    [TestCase("0xabc", new byte[] { 0x0a, 0xbc })]
    [TestCase("0x7", new byte[] { 0x07 })]
    [TestCase("0bAAEC", new byte[] { 0x00, 0x01, 0x02 })]
    [TestCase("0BAAE=", new byte[] { 0x00, 0x01 })]
    [TestCase("0b/w==", new byte[] { 0xff })]
    public void DecodeBinary_HexAndBase64Constants_GiveTheirBytes(string value, byte[] expected) =>
        Assert.That(KeyValues.DecodeBinary(value, 1024), Is.EqualTo(expected));

    [TestCase("")]
    [TestCase("0x")]
    [TestCase("0b")]
    [TestCase("ff00")]
    [TestCase("1234")]
    [TestCase("0y12")]
    [TestCase("0x12g4")]
    [TestCase("0x 12")]
    [TestCase("0bAAE")]
    [TestCase("0bAA=E")]
    [TestCase("0bAA E")]
    [TestCase("0b====")]
    [TestCase("0bA===")]
    [TestCase("0b-_==")]
    public void DecodeBinary_Malformed_ThrowsBadKeyValue(string value) =>
        Assert.That(() => KeyValues.DecodeBinary(value, 1024),
            Throws.TypeOf<IscsiProtocolException>().With.Property(nameof(IscsiProtocolException.Reason)).EqualTo(IscsiProtocolError.BadKeyValue));

    [Test]
    public void DecodeBinary_LongerThanTheLimit_IsRefusedBeforeDecoding()
    {
        Assert.That(KeyValues.DecodeBinary("0x" + new string('a', 2048), 1024), Has.Length.EqualTo(1024));
        Assert.That(() => KeyValues.DecodeBinary("0x" + new string('a', 2049), 1024), Throws.TypeOf<IscsiProtocolException>());
        Assert.That(() => KeyValues.DecodeBinary("0b" + Convert.ToBase64String(new byte[1025]), 1024), Throws.TypeOf<IscsiProtocolException>());
        Assert.That(KeyValues.DecodeBinary("0b" + Convert.ToBase64String(new byte[1024]), 1024), Has.Length.EqualTo(1024));
    }

    [Test]
    public void EncodeHexAndBase64_DecodeBack()
    {
        byte[] bytes = [0, 1, 0xfe, 0xff, 0x80];
        Assert.Multiple(() =>
        {
            Assert.That(KeyValues.EncodeHex(bytes), Is.EqualTo("0x0001feff80"));
            Assert.That(KeyValues.DecodeBinary(KeyValues.EncodeHex(bytes), 16), Is.EqualTo(bytes));
            Assert.That(KeyValues.DecodeBinary(KeyValues.EncodeBase64(bytes), 16), Is.EqualTo(bytes));
        });
    }

    [TestCase("0", 0)]
    [TestCase("255", 255)]
    [TestCase("007", 7)]
    [TestCase("0xff", 255)]
    [TestCase("0X1a", 26)]
    public void ParseNumber_DecimalOrHex_InRange(string value, int expected) =>
        Assert.That(KeyValues.ParseNumber(value, 255), Is.EqualTo(expected));

    [TestCase("")]
    [TestCase("256")]
    [TestCase("-1")]
    [TestCase("+1")]
    [TestCase(" 1")]
    [TestCase("1 ")]
    [TestCase("0x")]
    [TestCase("0x100")]
    [TestCase("000000000001")]
    [TestCase("1e2")]
    [TestCase("07\0")]
    [TestCase("0x0a\0")]
    public void ParseNumber_OutOfRangeOrMalformed_ThrowsBadKeyValue(string value) =>
        Assert.That(() => KeyValues.ParseNumber(value, 255),
            Throws.TypeOf<IscsiProtocolException>().With.Property(nameof(IscsiProtocolException.Reason)).EqualTo(IscsiProtocolError.BadKeyValue));
}
