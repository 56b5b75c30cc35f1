using System.Text.Json;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.FileSystems;

/// <summary>
/// `image ls|extract|info` on real disk images (the GPT disk of <see cref="DiskInspectorInteropTests"/> as qcow2),
/// with IMAGE[:PARTITION][:/path], as a user runs them; the older ISO forms keep working.
/// </summary>
public class FileSystemCliTests
{
    private static string Qcow2Disk(TempDir dir)
    {
        var raw = DiskInspectorInteropTests.BuildDisk(dir);
        var qcow2 = dir.File("disk.qcow2");
        Peer.Check(Peer.Require("qemu-img", "qemu-utils"), "convert", "-f", "raw", "-O", "qcow2", raw, qcow2);
        return qcow2;
    }

    [Test]
    public void LsExtractAndInfo_OnAPartitionedQcow2()
    {
        using var dir = new TempDir();
        var disk = Qcow2Disk(dir);
        var src = dir.File("root-src");

        var ls = Cli.Run("image", "ls", disk + ":2:/etc");
        Assert.That(ls.ExitCode, Is.EqualTo(0), ls.StdErr);
        Assert.That(ls.StdOut, Does.Contain("/etc/os-release -> ../usr/lib/os-release"));

        var json = Cli.Run("image", "ls", disk + ":2:/", "-R", "--json");
        Assert.That(json.ExitCode, Is.EqualTo(0), json.StdErr);
        using (var doc = JsonDocument.Parse(json.StdOut))
        {
            var paths = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("path").GetString()!).Where(p => !p.StartsWith("/lost+found", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            var expected = SourceTree.Enumerate(new DirectoryInfo(src)).Select(i => "/" + Path.GetRelativePath(src, i.FullName)).Order(StringComparer.Ordinal);
            Assert.That(paths, Is.EqualTo(expected));
            var vmlinuz = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("path").GetString() == "/vmlinuz");
            Assert.That(vmlinuz.GetProperty("type").GetString(), Is.EqualTo("symlink"));
            Assert.That(vmlinuz.GetProperty("target").GetString(), Is.EqualTo($"boot/vmlinuz-{SourceTree.KernelVersion}"));
        }

        // A directory, recursively, and one file through a symlink.
        var outDir = dir.File("out-boot");
        var ex = Cli.Run("image", "extract", disk + ":2:/boot", outDir);
        Assert.That(ex.ExitCode, Is.EqualTo(0), ex.StdErr);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(src, "boot"), "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(Path.Combine(src, "boot"), f);
            Assert.That(Hash.Sha256File(Path.Combine(outDir, rel)), Is.EqualTo(Hash.Sha256File(f)), rel);
        }
        var kernel = dir.File("kernel");
        var k = Cli.Run("image", "extract", disk + ":2:/vmlinuz", kernel);
        Assert.That(k.ExitCode, Is.EqualTo(0), k.StdErr);
        Assert.That(Hash.Sha256File(kernel), Is.EqualTo(Hash.Sha256File(Path.Combine(src, "boot", $"vmlinuz-{SourceTree.KernelVersion}"))));
        var efi = dir.File("grubx64.efi");
        Assert.That(Cli.Run("image", "extract", disk + ":1:/EFI/debian/grubx64.efi", efi).ExitCode, Is.EqualTo(0));
        Assert.That(new FileInfo(efi).Length, Is.EqualTo(40_000));

        var info = Cli.Run("image", "info", disk);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.StdErr);
        Assert.That(info.StdOut, Does.Contain("file format: qcow2")
            .And.Contain("partition table: gpt")
            .And.Contain("partition 1: start 2048, size 40 MiB (41943040 bytes), type EFI System, name \"EFI System Partition\"")
            .And.Contain("    filesystem: vfat, label \"EFI\", uuid 0BAD-CAFE")
            .And.Contain("    filesystem: ext4, label \"rootfs\", uuid 5f0e9b7c-1d2e-4a3b-8c4d-0123456789ab")
            .And.Contain($"    os: {SourceTree.PrettyName}")
            .And.Contain("    filesystem: swap (swap space holds no files)"));
        var infoJson = Cli.Run("image", "info", "--json", disk);
        Assert.That(infoJson.ExitCode, Is.EqualTo(0), infoJson.StdErr);
        using (var doc = JsonDocument.Parse(infoJson.StdOut))
        {
            var parts = doc.RootElement.GetProperty("partitions").EnumerateArray().ToList();
            Assert.That(doc.RootElement.GetProperty("partition-table").GetProperty("label").GetString(), Is.EqualTo("gpt"));
            Assert.That(parts.Select(p => p.GetProperty("number").GetInt32()), Is.EqualTo(new[] { 1, 2, 3 }));
            Assert.That(parts[0].GetProperty("type").GetString(), Is.EqualTo("C12A7328-F81F-11D2-BA4B-00A0C93EC93B"));
            Assert.That(parts[1].GetProperty("filesystem").GetProperty("os").GetString(), Is.EqualTo(SourceTree.PrettyName));
            Assert.That(parts[1].GetProperty("start").GetInt64(), Is.EqualTo((2048 + (40 * 2048)) * 512L));
            Assert.That(parts[2].GetProperty("filesystem").GetProperty("type").GetString(), Is.EqualTo("swap"));
        }
    }

    [Test]
    public void BadPaths_GiveOneLineErrorsAndExit2()
    {
        using var dir = new TempDir();
        var disk = Qcow2Disk(dir);
        foreach (var (args, message) in (ValueTuple<string[], string>[])
        [
            (["image", "ls", disk + ":/"], "2 partitions hold file systems"),
            (["image", "ls", disk + ":9:/"], "no partition 9"),
            (["image", "ls", disk + ":3:/"], "swap: swap space holds no files"),
            (["image", "ls", disk + ":2:/no/such"], "no 'no' in '/'"),
            (["image", "ls", disk + ":x:/"], "'x' is not a partition number"),
            (["image", "extract", disk + ":2:/boot/vmlinuz-" + SourceTree.KernelVersion + "/x", dir.File("o")], "is not a directory"),
            (["image", "ls", dir.File("missing.img") + ":1:/"], "missing.img: no such file"),
        ])
        {
            var r = Cli.Run(args);
            Assert.That(r.ExitCode, Is.EqualTo(2), string.Join(' ', args));
            var lines = r.StdErr.Trim().Split('\n');
            Assert.That(lines, Has.Length.EqualTo(1), r.StdErr);
            Assert.That(lines[0], Does.StartWith("baremetal: ").And.Contain(message));
        }
    }

    [Test]
    public void HostileExtLoop_LsRecursiveGivesOneLineError()
    {
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(Path.Combine(src, "a", "b"));
        var img = dir.File("loop.img");
        Peer.Check(Peer.Require("mke2fs", "e2fsprogs"), "-F", "-q", "-t", "ext4", "-d", src, img, "16M");
        Peer.Check(Peer.Require("debugfs", "e2fsprogs"), "-w", "-R", "link /a /a/b/loop", img);
        var r = Cli.Run("image", "ls", img, "-R");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("ext4: directory loop: '/a/b/loop'"));
    }

    [Test]
    public void OlderIsoForms_StillWork()
    {
        using var dir = new TempDir();
        var src = dir.File("src");
        Directory.CreateDirectory(Path.Combine(src, "boot"));
        File.WriteAllBytes(Path.Combine(src, "boot", "vmlinuz"), SourceTree.Random(new Random(4), 100_000));
        var iso = dir.File("x.iso");
        Peer.Check(Peer.Require("xorriso", "xorriso"), "-as", "mkisofs", "-J", "-R", "-V", "CLI_TEST", "-o", iso, src);
        var ls = Cli.Run("image", "ls", iso, "/boot");
        Assert.That(ls.ExitCode, Is.EqualTo(0), ls.StdErr);
        Assert.That(ls.StdOut, Does.Contain("100000").And.Contain("/boot/vmlinuz"));
        var outFile = dir.File("k");
        var ex = Cli.Run("image", "extract", iso, "/boot/vmlinuz", outFile);
        Assert.That(ex.ExitCode, Is.EqualTo(0), ex.StdErr);
        Assert.That(Hash.Sha256File(outFile), Is.EqualTo(Hash.Sha256File(Path.Combine(src, "boot", "vmlinuz"))));
        var newForm = Cli.Run("image", "extract", iso + ":/boot/vmlinuz", dir.File("k2"));
        Assert.That(newForm.ExitCode, Is.EqualTo(0), newForm.StdErr);
        var info = Cli.Run("image", "info", iso);
        Assert.That(info.StdOut, Does.Contain("volume-id: CLI_TEST").And.Contain("filesystem: iso9660, label \"CLI_TEST\""));
    }
}
