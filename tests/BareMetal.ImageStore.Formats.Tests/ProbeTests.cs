using System.Text;
using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Formats.Tests;

public class ProbeTests
{
    private static ImageFormat Probe(byte[] head, long length = 1 << 20, Func<long, byte[]>? at = null) =>
        DiskImage.Probe(head, length, at ?? (_ => new byte[8]));

    [TestCase("QFI\xfb\0\0\0\x03", ImageFormat.Qcow2)]
    [TestCase("vhdxfile", ImageFormat.Vhdx)]
    [TestCase("KDMV\x01\0\0\0", ImageFormat.Vmdk)]
    [TestCase("conectix", ImageFormat.Vhd)]
    [TestCase("# Disk DescriptorFile\nversion=1\n", ImageFormat.Vmdk)]
    [TestCase("\0\0\0\0\0\0\0\0", ImageFormat.Raw)]
    public void Probe_RecognisesMagic(string head, ImageFormat expected) =>
        Assert.That(Probe(Encoding.Latin1.GetBytes(head)), Is.EqualTo(expected));

    [Test]
    public void Probe_FixedVhd_IsFoundByItsFooter() =>
        Assert.That(Probe(new byte[512], 1 << 20, off => off == (1 << 20) - 512 ? "conectix"u8.ToArray() : new byte[8]), Is.EqualTo(ImageFormat.Vhd));

    [Test]
    public void Probe_Iso9660_IsFoundAtSector16() =>
        Assert.That(Probe(new byte[512], 1 << 20, off => off == 32769 ? [.. "CD001"u8, 1, 0, 0] : new byte[8]), Is.EqualTo(ImageFormat.Iso));

    [Test]
    public void Probe_EmptyFile_IsRaw() => Assert.That(Probe([], 0), Is.EqualTo(ImageFormat.Raw));
}
