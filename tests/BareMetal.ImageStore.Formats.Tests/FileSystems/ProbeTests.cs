using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.FileSystems.Fat;

namespace BareMetal.ImageStore.Formats.Tests.FileSystems;

/// <summary>Magic numbers of the volumes we refuse are named, never misread; FAT long names need their checksum.</summary>
public class FileSystemProbeTests
{
    [TestCase(0, "XFSB", "xfs", "XFS is not supported")]
    [TestCase(0x10040, "_BHRfS_M", "btrfs", "btrfs is not supported")]
    [TestCase(0, "LUKS\u00BA\u00BE", "crypto_LUKS", "LUKS encryption is not supported (the file system inside is encrypted)")]
    [TestCase(4086, "SWAPSPACE2", "swap", "swap space holds no files")]
    [TestCase(0, "hsqs", "squashfs", "squashfs is not supported")]
    [TestCase(3, "NTFS    ", "ntfs", "NTFS is not supported")]
    public void RecognisedButUnsupported_IsNamed(int offset, string magic, string type, string refusal)
    {
        var head = new byte[FileSystemProbe.ProbeBytes];
        System.Text.Encoding.Latin1.GetBytes(magic).CopyTo(head, offset);
        Assert.That(FileSystemProbe.Detect(head), Is.EqualTo(new FileSystemProbe.Detected(type, refusal)));
    }

    [Test]
    public void Lvm2Label_InSecondSector_IsNamed()
    {
        var head = new byte[8192];
        "LABELONE"u8.CopyTo(head.AsSpan(512));
        "LVM2 001"u8.CopyTo(head.AsSpan(512 + 24));
        Assert.That(FileSystemProbe.Detect(head)?.Type, Is.EqualTo("LVM2_member"));
    }

    [Test]
    public void ZeroedVolume_IsNothing() => Assert.That(FileSystemProbe.Detect(new byte[70_000]), Is.Null);

    private static byte[] LfnEntry(int ord, string part, byte checksum)
    {
        var e = new byte[32];
        e[0] = (byte)ord;
        e[11] = 0x0F;
        e[13] = checksum;
        var chars = (part + "\0").PadRight(13, '\uFFFF');
        int[] offsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
        for (var i = 0; i < 13; i++)
        {
            BitConverter.GetBytes(chars[i]).CopyTo(e, offsets[i]);
        }
        return e;
    }

    private static byte[] ShortEntry(string name11)
    {
        var e = new byte[32];
        System.Text.Encoding.ASCII.GetBytes(name11).CopyTo(e, 0);
        e[11] = 0x20;
        return e;
    }

    [Test]
    public void LongName_WithMatchingChecksum_IsUsed_OtherwiseTheShortName()
    {
        var shortName = "LONGNA~1TXT";
        var sum = FatDirectory.Checksum(System.Text.Encoding.ASCII.GetBytes(shortName));
        byte[] good = [.. LfnEntry(0x41, "long name.txt", sum), .. ShortEntry(shortName)];
        byte[] bad = [.. LfnEntry(0x41, "long name.txt", (byte)(sum + 1)), .. ShortEntry(shortName)];
        Assert.That(FatDirectory.Parse(good, "/", "f.img", out _).Single().Name, Is.EqualTo("long name.txt"));
        Assert.That(FatDirectory.Parse(bad, "/", "f.img", out _).Single().Name, Is.EqualTo("LONGNA~1.TXT"));
    }
}
