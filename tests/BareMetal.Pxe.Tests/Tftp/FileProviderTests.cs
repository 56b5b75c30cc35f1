using System.Net;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Wire;
using BareMetal.TestSupport;

namespace BareMetal.Pxe.Tests.Tftp;

public class FileProviderTests
{
    private static TftpFileRequest Req(string path) => new(path, new IPEndPoint(IPAddress.Loopback, 1000), TftpMode.Octet);

    private static string ReadAll(TftpOpenResult r)
    {
        Assert.That(r.Content, Is.Not.Null, r.Message);
        using var c = r.Content!;
        var b = new byte[c.Length];
        Assert.That(c.Read(0, b), Is.EqualTo(b.Length));
        return System.Text.Encoding.ASCII.GetString(b);
    }

    [Test]
    public void Root_ServesFilesBelowIt_LeadingSlashMeansRoot()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("boot"));
        File.WriteAllText(dir.File("boot/x.efi"), "efi");
        var p = new RootDirectoryProvider(dir.Path);
        Assert.That(ReadAll(p.Open(Req("/boot/x.efi"))), Is.EqualTo("efi"));
        Assert.That(ReadAll(p.Open(Req("boot\\x.efi"))), Is.EqualTo("efi"));
    }

    [Test]
    public void Root_MissingFile_IsNotFound_AbsolutePathStaysInRoot()
    {
        using var dir = new TempDir();
        var p = new RootDirectoryProvider(dir.Path);
        Assert.That(p.Open(Req("nope")).Error, Is.EqualTo(TftpErrorCode.FileNotFound));
        Assert.That(p.Open(Req("/etc/passwd")).Error, Is.EqualTo(TftpErrorCode.FileNotFound), "/etc/passwd means ROOT/etc/passwd");
    }

    [Test]
    public void Root_DotDot_IsAccessViolation()
    {
        using var dir = new TempDir();
        var p = new RootDirectoryProvider(dir.Path);
        Assert.That(p.Open(Req("../etc/passwd")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
        Assert.That(p.Open(Req("..\\..\\etc\\passwd")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
    }

    [Test]
    public void Root_SymlinkLeavingRoot_IsRefused_ButInsideIsServed()
    {
        using var dir = new TempDir();
        using var outside = new TempDir();
        File.WriteAllText(outside.File("secret"), "secret");
        File.WriteAllText(dir.File("real"), "real");
        File.CreateSymbolicLink(dir.File("out"), outside.File("secret"));
        File.CreateSymbolicLink(dir.File("rel-out"), "../" + Path.GetFileName(outside.Path) + "/secret");
        Directory.CreateSymbolicLink(dir.File("outdir"), outside.Path);
        File.CreateSymbolicLink(dir.File("in"), "real");
        File.CreateSymbolicLink(dir.File("loop"), "loop");
        var p = new RootDirectoryProvider(dir.Path);
        Assert.Multiple(() =>
        {
            Assert.That(p.Open(Req("out")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
            Assert.That(p.Open(Req("rel-out")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
            Assert.That(p.Open(Req("outdir/secret")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
            Assert.That(p.Open(Req("loop")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
        });
        Assert.That(ReadAll(p.Open(Req("in"))), Is.EqualTo("real"));
    }

    [Test]
    public void Root_ItselfASymlink_Works()
    {
        using var dir = new TempDir();
        using var links = new TempDir();
        File.WriteAllText(dir.File("f"), "f");
        Directory.CreateSymbolicLink(links.File("root"), dir.Path);
        Assert.That(ReadAll(new RootDirectoryProvider(links.File("root")).Open(Req("f"))), Is.EqualTo("f"));
    }

    [Test]
    public void Root_DirectoryAndFifo_AreRefused()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("sub"));
        Peer.Check(Peer.Require("mkfifo", "coreutils"), dir.File("fifo"));
        var p = new RootDirectoryProvider(dir.Path);
        Assert.That(p.Open(Req("sub")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
        Assert.That(p.Open(Req("fifo")).Error, Is.EqualTo(TftpErrorCode.AccessViolation), "opening a FIFO would block the server");
    }

    [Test]
    public void Root_DeviceFile_IsRefused()
    {
        using var dir = new TempDir();
        var mknod = Peer.Run(Peer.Require("mknod", "coreutils"), [dir.File("null"), "c", "1", "3"]);
        if (mknod.ExitCode != 0)
        {
            Assert.Ignore($"cannot create a device node here: {mknod.StdErr}");
        }
        Assert.That(new RootDirectoryProvider(dir.Path).Open(Req("null")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
    }

    [Test]
    public void Virtual_GetsNormalizedPath_NullIsNotFound()
    {
        var p = new VirtualFileProvider(r => r.Path == "pxelinux.cfg/01-aa" ? "cfg"u8.ToArray() : null);
        Assert.That(ReadAll(p.Open(Req("/pxelinux.cfg/01-aa"))), Is.EqualTo("cfg"));
        Assert.That(p.Open(Req("other")).Error, Is.EqualTo(TftpErrorCode.FileNotFound));
        Assert.That(p.Open(Req("../x")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
    }

    [Test]
    public void Composite_FallsThroughNotFound_StopsAtRefusal_ServesIpxeBinaries()
    {
        using var root = new TempDir();
        using var ipxe = new TempDir();
        File.WriteAllText(root.File("a"), "root-a");
        File.WriteAllText(ipxe.File("undionly.kpxe"), "undi");
        File.WriteAllText(ipxe.File("secret.txt"), "no");
        var p = new CompositeFileProvider(
            new VirtualFileProvider(r => r.Path == "node.cfg" ? "v"u8.ToArray() : null),
            new RootDirectoryProvider(root.Path),
            new IpxeBinaryProvider(ipxe.Path));
        Assert.That(ReadAll(p.Open(Req("node.cfg"))), Is.EqualTo("v"));
        Assert.That(ReadAll(p.Open(Req("a"))), Is.EqualTo("root-a"));
        Assert.That(ReadAll(p.Open(Req("/undionly.kpxe"))), Is.EqualTo("undi"));
        Assert.That(p.Open(Req("secret.txt")).Error, Is.EqualTo(TftpErrorCode.FileNotFound), "only the listed iPXE names are reachable");
        Assert.That(p.Open(Req("../a")).Error, Is.EqualTo(TftpErrorCode.AccessViolation));
    }

    [Test]
    public void Ipxe_BinaryLinkedOutOfItsDirectory_IsServed_AsDebianInstallsIt()
    {
        // Debian: /usr/lib/ipxe/ipxe.efi -> /boot/ipxe.efi. Seen when OVMF's PXE asked for ipxe.efi.
        using var lib = new TempDir();
        using var boot = new TempDir();
        File.WriteAllText(boot.File("ipxe.efi"), "efi");
        File.WriteAllText(boot.File("other"), "no");
        File.CreateSymbolicLink(lib.File("ipxe.efi"), boot.File("ipxe.efi"));
        File.CreateSymbolicLink(lib.File("secret"), boot.File("other"));
        var p = new IpxeBinaryProvider(lib.Path);
        Assert.That(ReadAll(p.Open(Req("ipxe.efi"))), Is.EqualTo("efi"));
        Assert.That(p.Open(Req("secret")).Error, Is.EqualTo(TftpErrorCode.FileNotFound), "links of names not on the allow-list stay out of reach");
    }

    [Test]
    public void Ipxe_MissingPackage_IsNotFoundWithAHint()
    {
        var r = new IpxeBinaryProvider("/nonexistent/ipxe").Open(Req("ipxe.efi"));
        Assert.That(r.Error, Is.EqualTo(TftpErrorCode.FileNotFound));
        Assert.That(r.Message, Does.Contain("not installed"));
    }

    [Test]
    public void Root_SmallFileCache_ServesFromMemory_UntilTheFileChanges_BigFilesAreReadByPosition()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("small"), "one");
        File.WriteAllBytes(dir.File("big"), new byte[100]);
        var p = new RootDirectoryProvider(dir.Path, new SmallFileCache(maxFileSize: 10));
        using (var first = p.Open(Req("small")).Content)
        {
            Assert.That(first, Is.InstanceOf<MemoryContent>());
        }
        File.WriteAllText(dir.File("small"), "two!");
        Assert.That(ReadAll(p.Open(Req("small"))), Is.EqualTo("two!"), "a changed file is read again");
        using var big = p.Open(Req("big")).Content;
        Assert.That(big, Is.InstanceOf<FileContent>());
        using var uncached = new RootDirectoryProvider(dir.Path, null).Open(Req("small")).Content;
        Assert.That(uncached, Is.InstanceOf<FileContent>());
    }

    [Test]
    public void FileContent_ReadsByPosition()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("f"), [1, 2, 3, 4, 5]);
        using var c = new FileContent(File.OpenHandle(dir.File("f")));
        var b = new byte[4];
        Assert.That(c.Read(3, b), Is.EqualTo(2));
        Assert.That(b[..2], Is.EqualTo(new byte[] { 4, 5 }));
        Assert.That(c.Read(5, b), Is.EqualTo(0));
    }
}
