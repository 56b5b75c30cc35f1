using System.Text;
using BareMetal.ImageStore.Formats.Vmdk;

namespace BareMetal.ImageStore.Formats.Tests.Vmdk;

public class VmdkDescriptorTests
{
    private static VmdkDescriptor Parse(string text) => VmdkDescriptor.Parse(Encoding.UTF8.GetBytes(text), "d.vmdk");

    [Test]
    public void Parse_QemuTwoGbDescriptor_ReadsKeysAndExtents()
    {
        var d = Parse("# Disk DescriptorFile\r\nversion=1\r\nCID=8b08adce\r\nparentCID=ffffffff\r\ncreateType=\"twoGbMaxExtentFlat\"\r\n\r\n" +
                      "# Extent description\r\nRW 4194304 FLAT \"x-f001.vmdk\" 0\r\nRW 2097152 FLAT \"x-f002.vmdk\" 0\r\n\r\nddb.adapterType = \"ide\"\r\n");
        Assert.That(d.CreateType, Is.EqualTo("twoGbMaxExtentFlat"));
        Assert.That(d.Cid, Is.EqualTo(0x8b08adceu));
        Assert.That(d.HasParent, Is.False);
        Assert.That(d.Extents, Is.EqualTo(new[]
        {
            new VmdkExtentLine(VmdkAccess.ReadWrite, 4194304, VmdkExtentType.Flat, "x-f001.vmdk", 0),
            new VmdkExtentLine(VmdkAccess.ReadWrite, 2097152, VmdkExtentType.Flat, "x-f002.vmdk", 0),
        }));
        Assert.That(d.Values["ddb.adapterType"], Is.EqualTo("ide"));
    }

    [Test]
    public void Parse_StopsAtNulPadding()
    {
        var d = Parse("createType=\"monolithicSparse\"\nRW 8 SPARSE \"a b.vmdk\"\n\0\0garbage=1\n");
        Assert.That(d.Extents.Single().FileName, Is.EqualTo("a b.vmdk"));
        Assert.That(d.Values.ContainsKey("garbage"), Is.False);
    }

    [TestCase("RW -5 FLAT \"a\" 0", "not a positive sector count")]
    [TestCase("RW 99999999999999999999 FLAT \"a\" 0", "not a positive sector count")]
    [TestCase("RW 8 BOGUS \"a\"", "unknown extent type")]
    [TestCase("RW 8 FLAT a 0", "must be quoted")]
    [TestCase("RW 8 FLAT \"a 0", "no closing quote")]
    [TestCase("RW 8 FLAT \"a\"", "needs an offset")]
    [TestCase("RW 8 FLAT \"\" 0", "is empty")]
    [TestCase("RW 8 FLAT \"a\" x", "not a valid sector")]
    public void Parse_BadExtentLine_IsRefusedNamingTheProblem(string line, string problem)
    {
        var e = Assert.Throws<ImageFormatException>(() => Parse("createType=\"custom\"\n" + line + "\n"));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.BadHeader));
        Assert.That(e.Message, Does.Contain(problem).And.Contain("line 2"));
    }

    [Test]
    public void Parse_UnsupportedExtentType_IsRefusedAsUnsupported()
    {
        var e = Assert.Throws<ImageFormatException>(() => Parse("RW 8 VMFSSPARSE \"a\"\n"));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.Unsupported));
    }

    [Test]
    public void Parse_HundredThousandExtents_IsRefusedBeforeBuildingThem()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 100_000; i++)
        {
            sb.Append("RW 1 ZERO\n");
        }
        var e = Assert.Throws<ImageFormatException>(() => Parse(sb.ToString()));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.SizeOutOfRange));
        Assert.That(e.Message, Does.Contain($"more than {VmdkDescriptor.MaxExtents} extents"));
    }

    [Test]
    public void Parse_ExtentsSummingPastTheLimit_AreRefused()
    {
        var e = Assert.Throws<ImageFormatException>(() => Parse("RW 9000000000000000 ZERO\nRW 9000000000000000 ZERO\n"));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.SizeOutOfRange));
    }

    [Test]
    public void Parse_BadCid_IsRefused()
    {
        var e = Assert.Throws<ImageFormatException>(() => Parse("CID=xyz\nRW 1 ZERO\n"));
        Assert.That(e!.Message, Does.Contain("CID 'xyz'"));
    }
}
