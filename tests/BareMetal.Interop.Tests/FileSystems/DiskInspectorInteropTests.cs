using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.Partitions;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.FileSystems;

/// <summary>
/// A whole disk put together the way installers lay one out: a GPT (sgdisk) with an EFI system
/// partition (mkfs.vfat + mcopy), an ext4 root (mke2fs -d) and swap (mkswap), each file system written
/// at its partition's offset with dd conv=notrunc, then converted to qcow2 with qemu-img: the same
/// partitions, file systems, OS and boot files are found through either format.
/// </summary>
public class DiskInspectorInteropTests
{
    private const long Mi = 1 << 20;

    internal static string BuildDisk(TempDir dir)
    {
        var esp = dir.File("esp.img");
        var espSrc = dir.File("esp-src");
        Directory.CreateDirectory(Path.Combine(espSrc, "EFI", "debian"));
        File.WriteAllBytes(Path.Combine(espSrc, "EFI", "debian", "grubx64.efi"), SourceTree.Random(new Random(2), 40_000));
        var mkfsVfat = Peer.Require("mkfs.vfat", "dosfstools");
        var mcopy = Peer.Require("mcopy", "mtools");
        Peer.Check(mkfsVfat, "-F", "32", "-n", "EFI", "-i", "0badcafe", "-C", esp, (40 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Peer.Check(mcopy, "-s", "-i", esp, Path.Combine(espSrc, "EFI"), "::/");

        var rootSrc = SourceTree.MakeOs(dir.File("root-src"));
        var root = dir.File("root.img");
        var mke2fs = Peer.Require("mke2fs", "e2fsprogs");
        Peer.Check(mke2fs, "-F", "-q", "-t", "ext4", "-L", "rootfs", "-U", "5f0e9b7c-1d2e-4a3b-8c4d-0123456789ab", "-d", rootSrc, root, "48M");

        var swap = dir.File("swap.img");
        using (var f = new FileStream(swap, FileMode.Create))
        {
            f.SetLength(8 * Mi);
        }
        Peer.Check(Peer.Require("mkswap", "util-linux"), swap);

        var disk = dir.File("disk.img");
        using (var f = new FileStream(disk, FileMode.Create))
        {
            f.SetLength(128 * Mi);
        }
        var sgdisk = Peer.Require("sgdisk", "gdisk");
        Peer.Check(sgdisk, "-n", "1:2048:+40M", "-t", "1:ef00", "-c", "1:EFI System Partition",
            "-n", "2:0:+48M", "-t", "2:8300", "-c", "2:root", "-n", "3:0:+8M", "-t", "3:8200", "-c", "3:swap", disk);
        var dd = Peer.Require("dd", "coreutils");
        using var d = DiskImage.Open(disk);
        var t = PartitionTable.Read(d);
        foreach (var (number, image) in (ValueTuple<int, string>[])[(1, esp), (2, root), (3, swap)])
        {
            Peer.Check(dd, $"if={image}", $"of={disk}", "bs=512", $"seek={t.Find(number)!.StartSector}", "conv=notrunc,sparse", "status=none");
        }
        return disk;
    }

    private static void AssertLayout(string path)
    {
        using var disk = DiskImage.Open(path);
        var layout = DiskInspector.Inspect(disk);
        Assert.That(layout.Table.Kind, Is.EqualTo(PartitionTableKind.Gpt));
        Assert.That(layout.Volumes.Select(v => (v.Number, v.Type, v.Label)),
            Is.EqualTo(new (int?, string?, string?)[] { (1, "vfat", "EFI"), (2, "ext4", "rootfs"), (3, "swap", null) }));
        Assert.That(layout.Volumes[0].Uuid, Is.EqualTo("0BAD-CAFE"));
        Assert.That(layout.Volumes[1].Uuid, Is.EqualTo("5f0e9b7c-1d2e-4a3b-8c4d-0123456789ab"));
        Assert.That(layout.Volumes[2].Problem, Is.EqualTo("swap space holds no files"));
        Assert.That(OsRelease.PrettyName(layout.Volumes[1].Reader!), Is.EqualTo(SourceTree.PrettyName));
        Assert.That(layout.Open(1).ReadAllBytes("/EFI/debian/grubx64.efi"), Has.Length.EqualTo(40_000));
        var e = Assert.Throws<FileSystemFormatException>(() => layout.Open(null));
        Assert.That(e!.Message, Does.Contain("2 partitions hold file systems"));
        var swapError = Assert.Throws<FileSystemFormatException>(() => layout.Open(3));
        Assert.That(swapError!.Message, Does.Contain(":3: swap: swap space holds no files"));

        var boot = BootFiles.Find(disk);
        Assert.That(boot, Is.Not.Null);
        Assert.That(boot!.Volume.Number, Is.EqualTo(2));
        Assert.That(boot.KernelPath, Is.EqualTo($"/boot/vmlinuz-{SourceTree.KernelVersion}"));
        Assert.That(boot.InitrdPath, Is.EqualTo($"/boot/initrd.img-{SourceTree.KernelVersion}"));
        using var k = boot.OpenKernel();
        Assert.That(k.Length, Is.EqualTo(700_001));
    }

    [Test]
    public void GptDiskWithEspRootAndSwap_FoundThroughRawAndQcow2()
    {
        using var dir = new TempDir();
        var raw = BuildDisk(dir);
        AssertLayout(raw);
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qcow2 = dir.File("disk.qcow2");
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "qcow2", raw, qcow2);
        AssertLayout(qcow2);
    }

    [Test]
    public void MbrDiskWithLogicalExt4_FoundThroughVhd()
    {
        using var dir = new TempDir();
        var rootSrc = SourceTree.MakeOs(dir.File("root-src"));
        var root = dir.File("root.img");
        Peer.Check(Peer.Require("mke2fs", "e2fsprogs"), "-F", "-q", "-t", "ext3", "-d", rootSrc, root, "20M");
        var disk = dir.File("disk.img");
        using (var f = new FileStream(disk, FileMode.Create))
        {
            f.SetLength(64 * Mi);
        }
        PartitionInteropTests.Sfdisk(disk, "label: dos\nstart=2048, size=8192, type=83\nstart=10240, size=100000, type=5\nstart=12288, size=4096, type=83\nstart=18432, size=40960, type=83\n");
        Peer.Check(Peer.Require("dd", "coreutils"), $"if={root}", $"of={disk}", "bs=512", "seek=18432", "conv=notrunc", "status=none");
        var vhd = dir.File("disk.vhd");
        Peer.Check(Peer.Require("qemu-img", "qemu-utils"), "convert", "-f", "raw", "-O", "vpc", disk, vhd);
        using var d = DiskImage.Open(vhd);
        var layout = DiskInspector.Inspect(d);
        Assert.That(layout.Volumes.Select(v => (v.Number, v.Type)), Is.EqualTo(new (int?, string?)[] { (1, null), (2, null), (5, null), (6, "ext3") }));
        var fs = layout.Open(6);
        SourceTree.AssertMatches(fs, rootSrc, ignore: p => p.StartsWith("/lost+found", StringComparison.Ordinal));
        Assert.That(layout.Open(null), Is.SameAs(fs));
    }

    [TestCase("mkfs.xfs", "xfsprogs", "xfs", "XFS is not supported", 320)]
    [TestCase("mkfs.btrfs", "btrfs-progs", "btrfs", "btrfs is not supported", 128)]
    public void XfsAndBtrfs_AreRefusedByName(string tool, string package, string type, string message, int sizeMiB)
    {
        using var dir = new TempDir();
        var img = dir.File($"{type}.img");
        using (var f = new FileStream(img, FileMode.Create))
        {
            f.SetLength(sizeMiB * Mi);
        }
        Peer.Check(Peer.Require(tool, package), "-f", img);
        using var d = DiskImage.Open(img);
        var layout = DiskInspector.Inspect(d);
        Assert.That(layout.Volumes.Single().Type, Is.EqualTo(type));
        var e = Assert.Throws<FileSystemFormatException>(() => layout.Open(null));
        Assert.That(e!.Message, Does.EndWith($"{type}: {message}"));
    }

    [Test]
    public void SeparateBootPartition_BootFilesComeFromIt()
    {
        using var dir = new TempDir();
        var bootSrc = dir.File("boot-src");
        Directory.CreateDirectory(bootSrc);
        File.WriteAllBytes(Path.Combine(bootSrc, "vmlinuz-6.1.0-9-amd64"), SourceTree.Random(new Random(1), 3000));
        File.WriteAllBytes(Path.Combine(bootSrc, "vmlinuz-6.1.0-13-amd64"), SourceTree.Random(new Random(2), 4000));
        File.WriteAllBytes(Path.Combine(bootSrc, "initrd.img-6.1.0-13-amd64"), SourceTree.Random(new Random(3), 5000));
        File.WriteAllBytes(Path.Combine(bootSrc, "initrd.img-6.1.0-9-amd64"), SourceTree.Random(new Random(4), 6000));
        var rootSrc = dir.File("root-src");
        Directory.CreateDirectory(Path.Combine(rootSrc, "boot"));
        File.CreateSymbolicLink(Path.Combine(rootSrc, "vmlinuz"), "boot/vmlinuz-6.1.0-13-amd64");   // dangling: /boot is not mounted
        var mke2fs = Peer.Require("mke2fs", "e2fsprogs");
        var boot = dir.File("boot.img");
        var root = dir.File("root.img");
        Peer.Check(mke2fs, "-F", "-q", "-t", "ext2", "-d", bootSrc, boot, "8M");
        Peer.Check(mke2fs, "-F", "-q", "-t", "ext4", "-d", rootSrc, root, "8M");
        var disk = dir.File("disk.img");
        using (var f = new FileStream(disk, FileMode.Create))
        {
            f.SetLength(24 * Mi);
        }
        Peer.Check(Peer.Require("sgdisk", "gdisk"), "-n", "1:2048:+8M", "-n", "2:0:+8M", disk);
        var dd = Peer.Require("dd", "coreutils");
        Peer.Check(dd, $"if={root}", $"of={disk}", "bs=512", "seek=2048", "conv=notrunc", "status=none");
        Peer.Check(dd, $"if={boot}", $"of={disk}", "bs=512", $"seek={2048 + 16384}", "conv=notrunc", "status=none");
        using var d = DiskImage.Open(disk);
        var found = BootFiles.Find(d);
        Assert.That(found, Is.Not.Null);
        Assert.That((found!.Volume.Number, found.KernelPath, found.InitrdPath, found.Version),
            Is.EqualTo(((int?)2, "/vmlinuz-6.1.0-13-amd64", "/initrd.img-6.1.0-13-amd64", "6.1.0-13-amd64")), "the newest version, compared as numbers (13 > 9)");
        using var initrd = found.OpenInitrd();
        Assert.That(initrd!.Length, Is.EqualTo(5000));
    }
}
