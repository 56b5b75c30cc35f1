using System.Globalization;
using BareMetal.ImageStore.Formats.Partitions;

namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>What <see cref="DiskInspector.Inspect"/> found on a disk: its partition table and a volume per partition (or one for the whole disk).</summary>
public sealed class DiskLayout
{
    internal DiskLayout(string name, PartitionTable table, IReadOnlyList<DiskVolume> volumes)
    {
        Name = name;
        Table = table;
        Volumes = volumes;
    }

    public string Name { get; }
    public PartitionTable Table { get; }
    public IReadOnlyList<DiskVolume> Volumes { get; }

    /// <summary>
    /// The file system to use for <paramref name="partition"/> (1-based), or, when null, the only one
    /// there is: the whole disk's, or the single readable partition's. Throws a one-line
    /// <see cref="FileSystemFormatException"/> saying what is there otherwise.
    /// </summary>
    public IFileSystemReader Open(int? partition)
    {
        DiskVolume volume;
        if (partition is { } n)
        {
            volume = Volumes.FirstOrDefault(v => v.Number == n) ?? throw new FileSystemFormatException(Name, Table.Label ?? "disk", ImageError.PointerOutOfRange,
                Table.Kind == PartitionTableKind.None
                    ? "the disk has no partition table; leave out the partition number"
                    : string.Create(CultureInfo.InvariantCulture, $"no partition {n} (partitions: {string.Join(", ", Volumes.Select(v => v.Number))})"));
        }
        else
        {
            var readable = Volumes.Where(v => v.Reader is not null).ToList();
            if (Volumes.Count == 1 || readable.Count == 1)
            {
                volume = readable.Count == 1 ? readable[0] : Volumes[0];
            }
            else if (readable.Count == 0)
            {
                volume = Volumes.FirstOrDefault() ?? throw new FileSystemFormatException(Name, "probe", ImageError.Unsupported, "no file system recognised");
            }
            else
            {
                throw new FileSystemFormatException(Name, Table.Label ?? "disk", ImageError.Unsupported,
                    $"{readable.Count} partitions hold file systems ({string.Join(", ", readable.Select(v => $"{v.Number}: {v.Type}"))}); name one as IMAGE:N:/path");
            }
        }
        if (volume.Reader is { } reader)
        {
            return reader;
        }
        var where = volume.Number is { } num ? string.Create(CultureInfo.InvariantCulture, $"partition {num}") : "the disk";
        throw new FileSystemFormatException(volume.Slice?.Name ?? Name, volume.Type ?? "probe", ImageError.Unsupported,
            volume.Problem ?? $"{where} holds no file system we read");
    }
}
