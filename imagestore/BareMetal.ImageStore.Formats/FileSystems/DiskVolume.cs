using BareMetal.ImageStore.Formats.Partitions;

namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// One place a file system may live: a partition, or the whole disk when it has no partition table.
/// <see cref="Reader"/> is the opened file system when we read it; <see cref="Problem"/> says why not
/// (refused by name, damaged, nothing recognised) otherwise.
/// </summary>
public sealed class DiskVolume
{
    internal DiskVolume(Partition? partition, DiskSlice? slice, string? type, IFileSystemReader? reader, string? problem)
    {
        Partition = partition;
        Slice = slice;
        Type = type;
        Reader = reader;
        Problem = problem;
    }

    /// <summary>The partition (null for a whole-disk file system).</summary>
    public Partition? Partition { get; }

    /// <summary>The 1-based partition number, or null for the whole disk.</summary>
    public int? Number => Partition?.Number;

    /// <summary>The volume's bytes on the disk; null for an MBR extended partition (a container, not a volume).</summary>
    public DiskSlice? Slice { get; }

    /// <summary>The file system type as blkid names it ("ext4", "vfat", "xfs" ...), or null when unrecognised.</summary>
    public string? Type { get; }

    public IFileSystemReader? Reader { get; }

    public string? Problem { get; }

    public string? Label => Reader?.Label;
    public string? Uuid => Reader?.Uuid;
}
