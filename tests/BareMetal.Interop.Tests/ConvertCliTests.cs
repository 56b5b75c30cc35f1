using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests;

/// <summary>
/// `image convert` replaces its destination the way qemu-img does, but never one of the files it reads, and
/// the native tool (what ./baremetal runs) answers exactly as the managed CLI does.
/// </summary>
public class ConvertCliTests
{
    private static (string QemuImg, string QemuIo) Peers() =>
        (Peer.Require("qemu-img", "qemu-utils"), Peer.Require("qemu-io", "qemu-utils"));

    private static string MakeQcow2(TempDir dir, string name, string qemuImg, string qemuIo, string pattern = "0x5a")
    {
        var path = dir.File(name);
        Peer.Check(qemuImg, "create", "-f", "qcow2", path, "8M");
        Peer.Check(qemuIo, "-f", "qcow2", "-c", $"write -P {pattern} 1M 256k", "-c", "write -P 0x01 6M 64k", path);
        return path;
    }

    [Test]
    public void Convert_OverAnExistingFile_ReplacesIt_AndLeavesNoPartFile()
    {
        var (qemuImg, qemuIo) = Peers();
        using var dir = new TempDir();
        var src = MakeQcow2(dir, "src.qcow2", qemuImg, qemuIo);
        var dst = dir.File("out.raw");
        File.WriteAllBytes(dst, new byte[3 << 20].Select(_ => (byte)0xEE).ToArray());
        var r = Cli.Run("image", "convert", src, dst, "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Peer.Check(qemuImg, "compare", "-f", "qcow2", "-F", "raw", src, dst);
        Assert.That(new FileInfo(dst).Length, Is.EqualTo(8 << 20));
        Assert.That(Directory.GetFiles(dir.Path, "*.part"), Is.Empty);
    }

    [Test]
    public void Convert_OntoItsOwnBackingFile_OrTheSourceUnderAnotherName_IsRefused_AndNothingIsTouched()
    {
        var (qemuImg, qemuIo) = Peers();
        using var dir = new TempDir();
        var basePath = MakeQcow2(dir, "base.qcow2", qemuImg, qemuIo);
        var top = dir.File("top.qcow2");
        Peer.Check(qemuImg, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top);
        Peer.Check(qemuIo, "-f", "qcow2", "-c", "write -P 0x77 2M 64k", top);
        File.CreateSymbolicLink(dir.File("alias.qcow2"), top);
        File.CreateSymbolicLink(dir.File("base-link.raw"), basePath);
        var before = (Hash.Sha256File(basePath), Hash.Sha256File(top));

        var onBacking = Cli.Run("image", "convert", top, basePath, "-O", "raw");
        var onSelf = Cli.Run("image", "convert", top, dir.File("alias.qcow2"), "-O", "raw");
        var throughLink = Cli.Run("image", "convert", top, dir.File("base-link.raw"), "-O", "qcow2");
        Assert.Multiple(() =>
        {
            Assert.That(onBacking.ExitCode, Is.EqualTo(2));
            Assert.That(onBacking.StdErr.Trim(), Is.EqualTo($"baremetal: {basePath}: destination is a file the source reads ({basePath}); convert to another name"));
            Assert.That(onSelf.ExitCode, Is.EqualTo(2));
            Assert.That(onSelf.StdErr, Does.Contain("destination is the source image"));
            Assert.That(throughLink.ExitCode, Is.EqualTo(2));
            Assert.That(throughLink.StdErr, Does.Contain("a file the source reads"));
            Assert.That((Hash.Sha256File(basePath), Hash.Sha256File(top)), Is.EqualTo(before));
        });
    }

    [Test]
    public void Convert_ToADeviceOrADirectory_IsRefusedWithOneLine()
    {
        var (qemuImg, qemuIo) = Peers();
        using var dir = new TempDir();
        var src = MakeQcow2(dir, "src.qcow2", qemuImg, qemuIo);
        var device = Cli.Run("image", "convert", src, "/dev/null", "-O", "raw");
        var directory = Cli.Run("image", "convert", src, dir.Path, "-O", "raw");
        Assert.Multiple(() =>
        {
            Assert.That(device.ExitCode, Is.EqualTo(2));
            Assert.That(device.StdErr.Trim(), Is.EqualTo("baremetal: /dev/null: not a regular file (a device, FIFO or dangling link?); convert writes image files only"));
            Assert.That(directory.ExitCode, Is.EqualTo(2));
            Assert.That(directory.StdErr.Trim(), Is.EqualTo($"baremetal: {dir.Path}: is a directory"));
        });
        Assert.That(File.Exists("/dev/null.part"), Is.False);
    }

    [Test]
    public void Convert_OfACorruptImage_FailsBeforeTheExistingDestinationIsTouched()
    {
        var (qemuImg, qemuIo) = Peers();
        using var dir = new TempDir();
        var src = MakeQcow2(dir, "bad.qcow2", qemuImg, qemuIo);
        // Point the first L1 entry past the end of the file: planning walks every table and fails there.
        var bytes = File.ReadAllBytes(src);
        var l1 = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(40));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(l1), 0x8000_0000_0100_0000UL);
        File.WriteAllBytes(src, bytes);
        var dst = dir.File("keep.raw");
        File.WriteAllText(dst, "the user's previous output");
        var r = Cli.Run("image", "convert", src, dst, "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.StdOut);
        Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain(src).And.Contain("qcow2"));
        Assert.That(File.ReadAllText(dst), Is.EqualTo("the user's previous output"));
    }

    [Test]
    public void NativeTool_PrintsWhatTheManagedCliPrints()
    {
        var (qemuImg, qemuIo) = Peers();
        if (Cli.NativeTool() is null)
        {
            Assert.Ignore("the native image tool is not built (./test.sh publishes it)");
        }
        using var dir = new TempDir();
        var basePath = MakeQcow2(dir, "base.qcow2", qemuImg, qemuIo);
        var top = dir.File("top.qcow2");
        Peer.Check(qemuImg, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top);
        string[][] commands =
        [
            ["image", "info", top],
            ["image", "info", "--json", top],
            ["image", "map", "--json", top],
            ["image", "map", top],
            ["image", "verify", "--json", top],
            ["image", "verify", top],
            ["image", "info", dir.File("missing.qcow2")],
        ];
        foreach (var args in commands)
        {
            var native = Cli.Run(args);
            var managed = Cli.RunManaged(args);
            var what = string.Join(' ', args);
            Assert.That((native.ExitCode, native.StdOut, native.StdErr), Is.EqualTo((managed.ExitCode, managed.StdOut, managed.StdErr)), what);
        }
    }
}
