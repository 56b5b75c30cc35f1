using System.Buffers.Binary;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Vmdk;

public class VmdkCheckTests
{
    private static (VmdkTestImage Image, byte[] Bytes) Sample()
    {
        var img = new VmdkTestImage();
        img.Grains[0] = img.Pattern(1);
        img.Grains[1] = img.Pattern(2);
        img.Grains[3] = null;
        return (img, img.Build());
    }

    private static CheckReport CheckOf(byte[] bytes)
    {
        using var dir = new TempDir();
        var path = dir.File("test.vmdk");
        File.WriteAllBytes(path, bytes);
        using var disk = DiskImage.Open(path);
        return disk.Check();
    }

    [Test]
    public void Check_CleanImage_FindsNothing()
    {
        Assert.That(CheckOf(Sample().Bytes).IsClean, Is.True);
    }

    [Test]
    public void Check_GrainUsedTwice_IsACorruption()
    {
        var (img, bytes) = Sample();
        var gt = (int)img.FirstGtSector * 512;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(gt + (1 * 4)), (uint)img.GrainSector[0]);
        var report = CheckOf(bytes);
        Assert.That(report.Corruptions, Is.EqualTo(1));
        Assert.That(report.Findings[0].Message, Does.Contain("used by two grain table entries"));
    }

    [Test]
    public void Check_PointersPastEndAndIntoMetadata_AreAllReported()
    {
        var (img, bytes) = Sample();
        var gt = (int)img.FirstGtSector * 512;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(gt + (5 * 4)), 0x00fffff0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(gt + (6 * 4)), 2);
        var report = CheckOf(bytes);
        Assert.That(report.Corruptions, Is.EqualTo(2));
        Assert.That(report.Findings.Select(f => f.Message), Has.Some.Contains("past the end").And.Some.Contains("inside the metadata"));
    }
}
