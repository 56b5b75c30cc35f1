using System.Text.Json;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.Partitions;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.FileSystems;

/// <summary>Partition tables written by sfdisk and sgdisk read back as `sfdisk --json` reports them; damaged ones fall back or fail in one line.</summary>
public class PartitionInteropTests
{
    private static string EmptyDisk(TempDir dir, string name, long bytes)
    {
        var path = dir.File(name);
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(bytes);
        return path;
    }

    internal static void Sfdisk(string disk, string script)
    {
        var sfdisk = Peer.Require("sfdisk", "fdisk");
        var r = Peer.Run(sfdisk, ["--no-reread", "--no-tell-kernel", disk], stdin: script);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr + r.StdOut);
    }

    /// <summary>sfdisk --json's partitions: number (from the node name), start, size, type, and uuid/name on GPT.</summary>
    private static List<(int Number, long Start, long Size, string Type, string? Uuid, string? Name)> SfdiskJson(string disk, out string label, out string id)
    {
        var sfdisk = Peer.Require("sfdisk", "fdisk");
        var json = Peer.Check(sfdisk, "--json", disk);
        using var doc = JsonDocument.Parse(json);
        var table = doc.RootElement.GetProperty("partitiontable");
        label = table.GetProperty("label").GetString()!;
        id = table.GetProperty("id").GetString()!;
        var list = new List<(int, long, long, string, string?, string?)>();
        foreach (var p in table.GetProperty("partitions").EnumerateArray())
        {
            var node = p.GetProperty("node").GetString()!;
            var number = int.Parse(node[(node.LastIndexOfAny("abcdefghijklmnopqrstuvwxyz.-_".ToCharArray()) + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            list.Add((number, p.GetProperty("start").GetInt64(), p.GetProperty("size").GetInt64(), p.GetProperty("type").GetString()!,
                p.TryGetProperty("uuid", out var u) ? u.GetString() : null, p.TryGetProperty("name", out var n) ? n.GetString() : null));
        }
        return list;
    }

    private static void AssertSameAsSfdisk(string path)
    {
        var expected = SfdiskJson(path, out var label, out var id);
        using var disk = DiskImage.Open(path);
        var table = PartitionTable.Read(disk);
        Assert.That(table.Label, Is.EqualTo(label));
        Assert.That(table.Id, Is.EqualTo(id).IgnoreCase);
        var ours = table.Partitions.Select(p => (p.Number, p.StartSector, p.SectorCount, p.TypeCode,
            p.UniqueGuid?.ToString("D").ToUpperInvariant(), label == "gpt" ? p.Name : null)).ToList();
        Assert.That(ours, Is.EqualTo(expected.Select(e => (e.Number, e.Start, e.Size, e.Type, e.Uuid, e.Name)).ToList()));
    }

    [Test]
    public void Mbr_WithExtendedAndLogicalPartitions_MatchesSfdiskJson()
    {
        using var dir = new TempDir();
        var disk = EmptyDisk(dir, "mbr.img", 64 << 20);
        Sfdisk(disk, "label: dos\nlabel-id: 0x1234abcd\nstart=2048, size=8192, type=83, bootable\nstart=10240, size=100000, type=5\n" +
            "start=12288, size=8192, type=83\nstart=22528, size=16384, type=c\nstart=40960, size=4096, type=82\nstart=110592, size=4096, type=ef\n");
        AssertSameAsSfdisk(disk);
        using var d = DiskImage.Open(disk);
        var t = PartitionTable.Read(d);
        Assert.That(t.Partitions.Select(p => p.Number), Is.EqualTo(new[] { 1, 2, 3, 5, 6, 7 }));
        Assert.That(t.Find(1)!.Bootable, Is.True);
        Assert.That(t.Find(6)!.TypeName, Is.EqualTo("W95 FAT32 (LBA)"));
    }

    [Test]
    public void Gpt_FromSgdisk_MatchesSfdiskJson()
    {
        using var dir = new TempDir();
        var disk = EmptyDisk(dir, "gpt.img", 64 << 20);
        var sgdisk = Peer.Require("sgdisk", "gdisk");
        Peer.Check(sgdisk, "-n", "1:2048:+8M", "-t", "1:ef00", "-c", "1:EFI system", "-n", "2:0:+1M", "-t", "2:ef02", "-c", "2:bios",
            "-n", "4:0:+20M", "-t", "4:8300", "-c", "4:root fs", disk);
        AssertSameAsSfdisk(disk);
        using var d = DiskImage.Open(disk);
        var t = PartitionTable.Read(d);
        Assert.That(t.Kind, Is.EqualTo(PartitionTableKind.Gpt));
        Assert.That(t.Partitions.Select(p => (p.Number, p.TypeName)), Is.EqualTo(new[] { (1, "EFI System"), (2, "BIOS boot"), (4, "Linux filesystem") }));
        Assert.That(t.Find(1)!.IsEfiSystem, Is.True);
        Assert.That(t.Notes, Is.Empty);
    }

    [Test]
    public void Gpt_PrimaryHeaderDamaged_BackupAtLastLbaIsUsed()
    {
        using var dir = new TempDir();
        var disk = EmptyDisk(dir, "gpt.img", 64 << 20);
        var sgdisk = Peer.Require("sgdisk", "gdisk");
        Peer.Check(sgdisk, "-n", "1:2048:+8M", "-t", "1:ef00", "-n", "2:0:+20M", disk);
        var before = SfdiskJson(disk, out _, out _);
        using (var f = new FileStream(disk, FileMode.Open))
        {
            f.Position = 512 + 40;   // first usable LBA: the header CRC no longer matches
            f.WriteByte(0x77);
        }
        using var d = DiskImage.Open(disk);
        var t = PartitionTable.Read(d);
        Assert.That(t.Notes.Single(), Does.Contain("backup at LBA 131071"));
        Assert.That(t.Partitions.Select(p => (p.Number, p.StartSector, p.SectorCount)), Is.EqualTo(before.Select(b => (b.Number, b.Start, b.Size))));
    }

    [Test]
    public void Gpt_HugeEntryCountInBothHeaders_OneLineError()
    {
        using var dir = new TempDir();
        var disk = EmptyDisk(dir, "gpt.img", 64 << 20);
        var sgdisk = Peer.Require("sgdisk", "gdisk");
        Peer.Check(sgdisk, "-n", "1:2048:+8M", disk);
        using (var f = new FileStream(disk, FileMode.Open))
        {
            foreach (var lba in (long[])[1, (64 << 20) / 512 - 1])
            {
                var h = new byte[512];
                f.Position = lba * 512;
                f.ReadExactly(h);
                BitConverter.GetBytes(0x40000000u).CopyTo(h, 80);   // NumberOfPartitionEntries
                BitConverter.GetBytes(0u).CopyTo(h, 16);
                BitConverter.GetBytes(Crc32.Compute(h.AsSpan(0, 92))).CopyTo(h, 16);
                f.Position = lba * 512;
                f.Write(h);
            }
        }
        using var d = DiskImage.Open(disk);
        var e = Assert.Throws<FileSystemFormatException>(() => PartitionTable.Read(d));
        Assert.That(e!.Message, Does.Contain("gpt: header at LBA 1: 1073741824 entries").And.Contain("backup").And.Not.Contain("\n"));
    }
}
