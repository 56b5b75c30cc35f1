using System.Text.Json;
using BareMetal.ImageStore.Formats;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Vhd;

/// <summary>VHD images made by qemu-img/qemu-io (and a differencing one made here), read by the CLI, checked against qemu.</summary>
public class VhdInteropTests
{
    /// <summary>qemu-io commands and the disk size (MiB) each needs.</summary>
    private static readonly (string Command, int NeedsMiB)[] Writes =
    [
        ("write -P 0x5a 1M 192k", 2),
        ("write -P 0x01 9M 4k", 10),
        ("write -z 20M 2M", 23),
        ("write -P 0x33 40M 3M", 44),
        ("write -P 0x7e 99M 512", 100),
    ];

    private static string MakeQemuVhd(TempDir dir, string subformat, bool forceSize, int sizeMiB = 100)
    {
        var size = $"{sizeMiB}M";
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var path = dir.File($"{subformat}{(forceSize ? "-sz" : "")}.vhd");
        Peer.Check(qemuImg, "create", "-f", "vpc", "-o", $"subformat={subformat}{(forceSize ? ",force_size=on" : "")}", path, size);
        var args = new List<string> { "-f", "vpc" };
        foreach (var (command, needs) in Writes.Where(w => w.NeedsMiB <= sizeMiB))
        {
            args.AddRange(["-c", command]);
        }
        args.Add(path);
        Peer.Check(qemuIo, [.. args]);
        return path;
    }

    private static long QemuVirtualSize(string path, string format)
    {
        var json = Peer.Check(Peer.Require("qemu-img", "qemu-utils"), "info", "--output=json", "-f", format, path);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("virtual-size").GetInt64();
    }

    [TestCase("dynamic", false)]
    [TestCase("dynamic", true)]
    [TestCase("fixed", false)]
    [TestCase("fixed", true)]
    public void Convert_ToRaw_IsByteIdenticalToQemuImg_AndSizeFollowsQemusRule(string subformat, bool forceSize)
    {
        using var dir = new TempDir();
        var src = MakeQemuVhd(dir, subformat, forceSize);
        using (var disk = DiskImage.Open(src))
        {
            Assert.That(disk.Format, Is.EqualTo(ImageFormat.Vhd));
            Assert.That(disk.Length, Is.EqualTo(QemuVirtualSize(src, "vpc")));
            Assert.That(disk.Describe().Subformat, Is.EqualTo(subformat));
        }
        // -f vpc: qemu-img would probe a fixed VHD as raw and keep the footer as data.
        Peer.Check(Peer.Require("qemu-img", "qemu-utils"), "convert", "-f", "vpc", "-O", "raw", src, dir.File("theirs.raw"));
        var r = Cli.Run("image", "convert", src, dir.File("ours.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(dir.File("theirs.raw"))));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void MapJson_OfDynamicVhd_EqualsQemuImgMap(bool forceSize)
    {
        using var dir = new TempDir();
        var src = MakeQemuVhd(dir, "dynamic", forceSize);
        var expected = Peer.Check(Peer.Require("qemu-img", "qemu-utils"), "map", "--output=json", "-f", "vpc", src);
        var actual = Cli.Run("image", "map", "--json", src);
        Assert.That(actual.ExitCode, Is.EqualTo(0), actual.StdErr);
        Assert.That(actual.StdOut, Is.EqualTo(expected));
        var verify = Cli.Run("image", "verify", src);
        Assert.That(verify.ExitCode, Is.EqualTo(0), "qemu-img's VHD passes our structural check: " + verify.StdOut + verify.StdErr);
    }

    [Test]
    public void MapJson_OfFixedVhd_EqualsQemuImgMap()
    {
        using var dir = new TempDir();
        var src = MakeQemuVhd(dir, "fixed", true);
        // qemu passes a fixed VHD's block status through to the file: holes are "zero" and "data".
        var expected = Peer.Check(Peer.Require("qemu-img", "qemu-utils"), "map", "--output=json", "-f", "vpc", src);
        var r = Cli.Run("image", "map", "--json", src);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(r.StdOut, Is.EqualTo(expected));
        Assert.That(expected, Does.Contain("\"zero\": true, \"data\": true"), "the fixture has holes");
    }

    [Test]
    public void Differencing_ReadsChildOverParent_LikeQemuReadsTheParentPlusTheChildsSectors()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var parent = MakeQemuVhd(dir, "dynamic", false, 64);
        Peer.Check(qemuImg, "convert", "-f", "vpc", "-O", "raw", parent, dir.File("parent.raw"));
        var expected = File.ReadAllBytes(dir.File("parent.raw"));
        var footer = new byte[512];
        using (var f = File.OpenRead(parent))
        {
            f.ReadExactly(footer);
        }
        var child = new VhdImageBuilder
        {
            VirtualSize = expected.Length,
            ParentUniqueIdRaw = footer.AsSpan(68, 16).ToArray(),
            ParentRelativePath = ".\\" + Path.GetFileName(parent),
        };
        var rng = new Random(42);
        foreach (var sector in new long[] { 0, 1, 2048 + 7, 4096, 8191, 20000, 40 * 2048, (expected.Length / 512) - 1 })
        {
            var data = new byte[512];
            rng.NextBytes(data);
            child.Sectors[sector] = data;
            data.CopyTo(expected, sector * 512);
        }
        var childPath = dir.File("child.vhd");
        File.WriteAllBytes(childPath, child.BuildDynamic());
        File.WriteAllBytes(dir.File("expected.raw"), expected);

        var r = Cli.Run("image", "convert", childPath, dir.File("ours.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(dir.File("expected.raw"))));
        var info = Cli.Run("image", "info", childPath);
        Assert.That(info.StdOut, Does.Contain("differencing"));
        Assert.That(info.StdOut, Does.Contain(Path.GetFileName(parent)));

        // libvhdi reads the test-built child as a differencing disk naming the same parent.
        var vhdiinfo = Peer.Require("vhdiinfo", "libvhdi-utils");
        var text = Peer.Check(vhdiinfo, childPath);
        Assert.That(text, Does.Contain("Differential"));
        Assert.That(text, Does.Contain(Path.GetFileName(parent)));
    }

    [Test]
    public void CorruptFooters_GiveOneLineErrorAndExit2()
    {
        using var dir = new TempDir();
        var src = MakeQemuVhd(dir, "dynamic", false, 8);
        var bytes = File.ReadAllBytes(src);
        bytes[48] ^= 0x40;
        bytes[bytes.Length - 512 + 48] ^= 0x40;
        File.WriteAllBytes(src, bytes);
        var r = Cli.Run("image", "info", src);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        var lines = r.StdErr.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain(src).And.Contain("vpc").And.Contain("footer checksum"));
    }

    [Test]
    public void BatPointingPastEnd_GivesOneLineErrorAndExit2()
    {
        using var dir = new TempDir();
        var src = MakeQemuVhd(dir, "dynamic", false, 8);
        var bytes = File.ReadAllBytes(src);
        // qemu puts the BAT at 1536; block 3 is unallocated in this image.
        bytes.AsSpan(1536 + 12, 4).Fill(0x7F);
        File.WriteAllBytes(src, bytes);
        var r = Cli.Run("image", "convert", src, dir.File("out.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("BAT entry 3"));
        Assert.That(File.Exists(dir.File("out.raw")), Is.False);
    }
}
