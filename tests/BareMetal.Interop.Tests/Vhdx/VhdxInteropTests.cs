using System.Buffers.Binary;
using BareMetal.ImageStore.Formats;
using BareMetal.Interop.Tests.Vhd;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Vhdx;

/// <summary>VHDX images made by qemu-img/qemu-io (plus a pending log written here), read by the CLI, checked against qemu.</summary>
public class VhdxInteropTests
{
    private const int MiB = 1 << 20;

    /// <summary>qemu-io commands and the disk size (MiB) each needs.</summary>
    private static readonly (string Command, int NeedsMiB)[] Writes =
    [
        ("write -P 0x5a 1M 192k", 2),
        ("write -P 0x01 9M 4k", 10),
        ("write -z 20M 2M", 23),
        ("write -P 0x33 40M 3M", 44),
        ("write -P 0x7e 99M 512", 100),
    ];

    private static string MakeQemuVhdx(TempDir dir, string subformat, string blockSize, int sizeMiB = 100)
    {
        var size = $"{sizeMiB}M";
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var path = dir.File($"{subformat}-{blockSize}.vhdx");
        Peer.Check(qemuImg, "create", "-f", "vhdx", "-o", $"subformat={subformat},block_size={blockSize}", path, size);
        var args = new List<string> { "-f", "vhdx" };
        foreach (var (command, needs) in Writes.Where(w => w.NeedsMiB <= sizeMiB))
        {
            args.AddRange(["-c", command]);
        }
        args.Add(path);
        Peer.Check(qemuIo, [.. args]);
        return path;
    }

    [TestCase("dynamic", "1M")]
    [TestCase("dynamic", "8M")]
    [TestCase("dynamic", "32M")]
    [TestCase("fixed", "8M")]
    public void Convert_ToRaw_IsByteIdenticalToQemuImg_AndMapAgreesWithTheContent(string subformat, string blockSize)
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var src = MakeQemuVhdx(dir, subformat, blockSize);
        Peer.Check(qemuImg, "convert", "-f", "vhdx", "-O", "raw", src, dir.File("theirs.raw"));
        var r = Cli.Run("image", "convert", src, dir.File("ours.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(dir.File("theirs.raw"))));

        // qemu's vhdx driver has no block-status callback, so `qemu-img map` calls the whole disk one
        // data extent. Ours knows the BAT: compare what matters instead: same length, everything
        // present, nothing we call zero holds data in qemu's read, and all of qemu's data is data here.
        var theirs = MapJson.Parse(Peer.Check(qemuImg, "map", "--output=json", "-f", "vhdx", src));
        var m = Cli.Run("image", "map", "--json", src);
        Assert.That(m.ExitCode, Is.EqualTo(0), m.StdErr);
        var ours = MapJson.Parse(m.StdOut);
        var length = theirs.Sum(e => e.Length);
        Assert.That(ours.Sum(e => e.Length), Is.EqualTo(length));
        Assert.That(ours.All(e => e.Present) && theirs.All(e => e.Present), Is.True);
        var zero = MapJson.ZeroGranules(ours, length);
        var nonZero = MapJson.NonZeroGranules(dir.File("theirs.raw"));
        Assert.That(Enumerable.Range(0, zero.Length).Where(g => zero[g] && nonZero[g]), Is.Empty);
        Assert.That(zero.Count(z => z), Is.GreaterThan(0), "a sparse dynamic disk has zero ranges");
        using var disk = DiskImage.Open(src);
        Assert.That(disk.Describe().Subformat, Is.EqualTo(subformat));
        Assert.That(disk.Describe().ClusterSize, Is.EqualTo(int.Parse(blockSize.TrimEnd('M'), System.Globalization.CultureInfo.InvariantCulture) * MiB));
        var verify = Cli.Run("image", "verify", src);
        Assert.That(verify.ExitCode, Is.EqualTo(0), "qemu-img's VHDX passes our structural check: " + verify.StdOut + verify.StdErr);
    }

    [Test]
    public void BuilderMadeImage_ReadsTheSameInQemu()
    {
        // Proves the test builder (and so the CRC-32C it shares with the reader) against qemu.
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var b = new VhdxImageBuilder { VirtualSize = 5 * MiB };
        b.Blocks[1] = (ImageStore.Formats.Vhdx.VhdxBlockState.FullyPresent, Enumerable.Repeat((byte)0x42, MiB).ToArray());
        b.Blocks[3] = (ImageStore.Formats.Vhdx.VhdxBlockState.Zero, null);
        File.WriteAllBytes(dir.File("b.vhdx"), b.Build());
        Peer.Check(qemuImg, "convert", "-f", "vhdx", "-O", "raw", dir.File("b.vhdx"), dir.File("theirs.raw"));
        var r = Cli.Run("image", "convert", dir.File("b.vhdx"), dir.File("ours.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(dir.File("theirs.raw"))));
    }

    [Test]
    public void PendingLog_ReplayedInMemory_MatchesQemusOnDiskReplay_AndLeavesTheFileUnchanged()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var src = MakeQemuVhdx(dir, "dynamic", "1M", 16);
        long payload;
        using (var disk = DiskImage.Open(src))
        {
            payload = disk.Map().First(e => e.Data).Offset!.Value;
        }
        var (batOffset, _) = Region(src, "2DC27766-F623-4200-9D64-115E9BFD4A08");
        var bat = new byte[4096];
        using (var f = File.OpenRead(src))
        {
            f.Position = batOffset;
            f.ReadExactly(bat);
        }
        // Through the log: new bytes inside the first data block, zeros over part of it, and a BAT
        // sector in which block 5 (never written) now shares block 1's payload.
        bat.AsSpan(8, 8).CopyTo(bat.AsSpan(40));
        var sector = new byte[4096];
        new Random(7).NextBytes(sector);
        VhdxImageBuilder.AddLogEntry(src, [(payload + 12288, sector), (batOffset, bat)], [(payload + 131072, 16384)]);
        var before = Hash.Sha256File(src);

        // qemu refuses to open a dirty VHDX read-only, so convert fails until the log is replayed.
        Assert.That(Peer.Run(qemuImg, ["convert", "-f", "vhdx", "-O", "raw", src, dir.File("x.raw")]).ExitCode, Is.Not.EqualTo(0));
        File.Copy(src, dir.File("replayed.vhdx"));
        Peer.Run(qemuImg, ["check", "-r", "all", "-f", "vhdx", dir.File("replayed.vhdx")]);
        Peer.Check(qemuImg, "convert", "-f", "vhdx", "-O", "raw", dir.File("replayed.vhdx"), dir.File("theirs.raw"));

        var r = Cli.Run("image", "convert", src, dir.File("ours.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(dir.File("theirs.raw"))));
        Assert.That(Hash.Sha256File(src), Is.EqualTo(before), "the log is never written back");
        // The first data extent is guest block 1 (the first write is at 1 MiB, blocks are 1 MiB).
        var ours = File.ReadAllBytes(dir.File("ours.raw"));
        Assert.That(ours.AsSpan(MiB + 12288, 4096).SequenceEqual(sector), Is.True, "the replayed data sector");
        Assert.That(ours.AsSpan(MiB + 131072, 16384).ContainsAnyExcept((byte)0), Is.False, "the replayed zero range");
        Assert.That(ours.AsSpan(MiB + 131072 + 16384, 4096).IndexOfAnyExcept((byte)0x5a), Is.EqualTo(-1));
        Assert.That(ours.AsSpan(5 * MiB, MiB).SequenceEqual(ours.AsSpan(MiB, MiB)), Is.True, "the replayed BAT entry");
        var info = Cli.Run("image", "info", src);
        Assert.That(info.StdOut, Does.Contain("1 entries replayed"));
    }

    [Test]
    public void CorruptHeaders_GiveOneLineErrorAndExit2()
    {
        using var dir = new TempDir();
        var src = MakeQemuVhdx(dir, "dynamic", "8M", 16);
        var bytes = File.ReadAllBytes(src);
        bytes[(64 * 1024) + 100] ^= 1;
        bytes[(128 * 1024) + 100] ^= 1;
        File.WriteAllBytes(src, bytes);
        var r = Cli.Run("image", "map", "--json", src);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        var lines = r.StdErr.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain(src).And.Contain("vhdx").And.Contain("CRC-32C"));
    }

    [Test]
    public void BatEntryPastEnd_GivesOneLineErrorAndExit2()
    {
        using var dir = new TempDir();
        var src = MakeQemuVhdx(dir, "dynamic", "8M", 16);
        var (batOffset, _) = Region(src, "2DC27766-F623-4200-9D64-115E9BFD4A08");
        var bytes = File.ReadAllBytes(src);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)batOffset + 8), (1UL << 45) | 6);
        File.WriteAllBytes(src, bytes);
        var r = Cli.Run("image", "info", src);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("BAT entry for block 1"));
    }

    /// <summary>Finds a region in the (first) region table of a VHDX file.</summary>
    private static (long Offset, uint Length) Region(string path, string guid)
    {
        var t = new byte[64 * 1024];
        using var f = File.OpenRead(path);
        f.Position = 192 * 1024;
        f.ReadExactly(t);
        var count = BinaryPrimitives.ReadInt32LittleEndian(t.AsSpan(8));
        for (var i = 0; i < count; i++)
        {
            var e = t.AsSpan(16 + (i * 32), 32);
            if (new Guid(e[..16]) == new Guid(guid))
            {
                return ((long)BinaryPrimitives.ReadUInt64LittleEndian(e[16..]), BinaryPrimitives.ReadUInt32LittleEndian(e[24..]));
            }
        }
        throw new InvalidOperationException($"no region {guid}");
    }
}
