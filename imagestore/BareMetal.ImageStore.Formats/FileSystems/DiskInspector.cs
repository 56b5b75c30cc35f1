using System.Globalization;
using BareMetal.ImageStore.Formats.Partitions;

namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// The one entry point from a <see cref="VirtualDisk"/> (raw, qcow2, VHD, VHDX, VMDK, ISO) to the file
/// systems inside it: an ISO 9660 image, a whole-disk file system without a table (a FAT "superfloppy",
/// an ext image), or a partition table with a file system per partition. Problems with one partition's
/// file system are recorded on its volume, not thrown, so the rest can still be read.
/// </summary>
public static class DiskInspector
{
    public static DiskLayout Inspect(VirtualDisk disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        var whole = new DiskSlice(disk, 0, disk.Length);
        var head = new byte[(int)Math.Min(FileSystemProbe.ProbeBytes, disk.Length)];
        disk.Read(0, head);
        var detected = FileSystemProbe.Detect(head);
        // An ISO (hybrid ones carry an MBR too) and a FAT boot sector (whose code sits where MBR entries
        // would) are file systems on the whole disk, whatever sector 0 looks like.
        if (detected is { Type: "iso9660" or "vfat" } || (detected is not null && !HasTable(head)))
        {
            return new DiskLayout(disk.Path, PartitionTable.Empty, [OpenVolume(null, whole)]);
        }
        var table = PartitionTable.Read(disk);
        if (table.Partitions.Count == 0)
        {
            return new DiskLayout(disk.Path, table, detected is null ? [] : [OpenVolume(null, whole)]);
        }
        var volumes = new List<DiskVolume>();
        foreach (var p in table.Partitions)
        {
            if (p.MbrType is { } t && PartitionTypes.IsExtended(t))
            {
                volumes.Add(new DiskVolume(p, null, null, null, "extended partition (holds the logical partitions)"));
                continue;
            }
            var name = string.Create(CultureInfo.InvariantCulture, $"{disk.Path}:{p.Number}");
            volumes.Add(OpenVolume(p, new DiskSlice(disk, p.Start, p.Length, name)));
        }
        return new DiskLayout(disk.Path, table, volumes);
    }

    private static bool HasTable(ReadOnlySpan<byte> head) =>
        head.Length >= 1024 && (MbrSector.TryParse(head) is { } m && m.Entries.Any(e => !e.IsEmpty) || head.Slice(512, 8).SequenceEqual(GptHeader.Signature));

    private static DiskVolume OpenVolume(Partition? p, DiskSlice slice)
    {
        FileSystemProbe.Detected? d;
        try
        {
            d = FileSystemProbe.Detect(slice);
        }
        catch (FileSystemFormatException e)
        {
            return new DiskVolume(p, slice, null, null, e.Problem);
        }
        if (d is null)
        {
            return new DiskVolume(p, slice, null, null, "no file system recognised");
        }
        if (d.Value.Refusal is { } why)
        {
            return new DiskVolume(p, slice, d.Value.Type, null, why);
        }
        try
        {
            var reader = FileSystemProbe.Open(slice);
            return new DiskVolume(p, slice, reader.Type, reader, null);
        }
        catch (Exception e) when (e is FileSystemFormatException or ImageFormatException)
        {
            var problem = e is FileSystemFormatException f ? f.Problem : ((ImageFormatException)e).Problem;
            return new DiskVolume(p, slice, d.Value.Type, null, problem);
        }
    }

}
