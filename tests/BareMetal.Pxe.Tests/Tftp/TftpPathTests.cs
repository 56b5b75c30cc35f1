using BareMetal.Pxe.Tftp.Policy;

namespace BareMetal.Pxe.Tests.Tftp;

public class TftpPathTests
{
    [TestCase("pxelinux.0", "pxelinux.0")]
    [TestCase("/pxelinux.0", "pxelinux.0")]
    [TestCase("//boot///grub/./x86_64.efi", "boot/grub/x86_64.efi")]
    [TestCase("boot\\x64\\wdsnbp.com", "boot/x64/wdsnbp.com")]
    [TestCase("/etc/passwd", "etc/passwd")]
    [TestCase("a..b/..c", "a..b/..c")]
    public void TryNormalize_Accepts(string requested, string relative)
    {
        Assert.That(TftpPath.TryNormalize(requested, out var r, out var why), Is.True, why);
        Assert.That(r, Is.EqualTo(relative));
    }

    [TestCase("")]
    [TestCase("/")]
    [TestCase("./")]
    [TestCase("..")]
    [TestCase("../etc/passwd")]
    [TestCase("a/../../b")]
    [TestCase("a/..")]
    [TestCase("..\\..\\windows")]
    [TestCase("a\\..\\..\\b")]
    [TestCase("pxe\0linux.0")]
    [TestCase("a\nb")]
    [TestCase("a\u007fb")]
    public void TryNormalize_Refuses(string requested)
        => Assert.That(TftpPath.TryNormalize(requested, out _, out var why), Is.False, why);
}
