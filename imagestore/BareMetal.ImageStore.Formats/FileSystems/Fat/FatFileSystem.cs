using System.Buffers.Binary;
using System.Collections;
using System.Globalization;

namespace BareMetal.ImageStore.Formats.FileSystems.Fat;

/// <summary>
/// Reads FAT12, FAT16 and FAT32 volumes with VFAT long names (an EFI system partition, a boot floppy)
/// read-only. The first FAT is read once (at most <see cref="MaxFatBytes"/>); every cluster chain is
/// walked with a visited set, so a chain that loops or crosses into free or bad clusters is refused
/// naming the cluster. Thread-safe.
/// </summary>
public sealed class FatFileSystem : IFileSystemReader
{
    /// <summary>Largest FAT read into memory (a 64 GiB FAT32 volume of 4 KiB clusters).</summary>
    public const long MaxFatBytes = ImageLimits.MaxTableBytes;

    /// <summary>A directory holds at most 65536 entries (FAT spec): 2 MiB.</summary>
    public const int MaxDirectoryBytes = 65536 * FatBootSector.DirEntrySize;

    private readonly DiskSlice _volume;
    private readonly byte[] _fat;

    private FatFileSystem(DiskSlice volume, FatBootSector boot, byte[] fat)
    {
        _volume = volume;
        Boot = boot;
        _fat = fat;
        var rootEntries = ReadDirectory(Boot.FatBits == 32 ? Boot.RootCluster : 0, "/", out var label);
        Label = label ?? boot.Label;
        _root = rootEntries;
        Root = new FileSystemEntry("/", FileSystemEntryKind.Directory, 0, Boot.FatBits == 32 ? Boot.RootCluster : 0, 0x41ED, 0, 0, null)
        {
            Handle = new FatDirectoryEntry("/", FatDirectoryEntry.AttrDirectory, Boot.FatBits == 32 ? Boot.RootCluster : 0, 0, null),
        };
    }

    private readonly List<FatDirectoryEntry> _root;

    public FatBootSector Boot { get; }
    public string Name => _volume.Name;
    public string Type => "vfat";
    public bool CaseInsensitive => true;
    public string? Label { get; }

    /// <summary>The volume id as blkid prints it: "ABCD-1234".</summary>
    public string? Uuid => Boot.VolumeId is { } id ? string.Create(CultureInfo.InvariantCulture, $"{id >> 16:X4}-{id & 0xFFFF:X4}") : null;

    public FileSystemEntry Root { get; }

    public static FatFileSystem Open(DiskSlice volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var sector = new byte[FatBootSector.Size];
        volume.Read(0, sector, "vfat", "boot sector");
        var boot = FatBootSector.Parse(sector, volume.Length, volume.Name);
        // Only the entries the clusters need (the FAT's sectors may be padded).
        var needed = ((boot.ClusterCount + 2) * boot.FatBits + 7) / 8;
        if (needed > MaxFatBytes)
        {
            throw FatBootSector.Error(volume.Name, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"the FAT is {needed} bytes, more than {MaxFatBytes}"));
        }
        var fat = new byte[needed + 1];
        volume.Read(boot.FatOffset, fat.AsSpan(0, (int)needed), "vfat", "FAT");
        return new FatFileSystem(volume, boot, fat);
    }

    private bool IsEnd(uint next) => next >= (Boot.FatBits switch { 12 => 0xFF8u, 16 => 0xFFF8u, _ => 0x0FFFFFF8u });

    private uint Next(uint cluster)
    {
        switch (Boot.FatBits)
        {
            case 12:
                {
                    var at = (int)(cluster + (cluster / 2));
                    var v = BinaryPrimitives.ReadUInt16LittleEndian(_fat.AsSpan(at, 2));
                    return (cluster & 1) != 0 ? (uint)(v >> 4) : (uint)(v & 0xFFF);
                }
            case 16:
                return BinaryPrimitives.ReadUInt16LittleEndian(_fat.AsSpan((int)(cluster * 2), 2));
            default:
                return BinaryPrimitives.ReadUInt32LittleEndian(_fat.AsSpan((int)(cluster * 4), 4)) & 0x0FFFFFFF;
        }
    }

    /// <summary>
    /// The clusters of a chain as runs, up to <paramref name="maxClusters"/> (a file needs no more; a
    /// directory may not have more). Refuses loops, free/bad/out-of-range links and chains that end early
    /// when <paramref name="exact"/>.
    /// </summary>
    private List<(uint First, uint Count)> Chain(uint first, long maxClusters, bool exact, string what)
    {
        var runs = new List<(uint First, uint Count)>();
        if (maxClusters == 0)
        {
            return runs;
        }
        var last = (uint)(Boot.ClusterCount + 1);
        var visited = new BitArray(checked((int)(Boot.ClusterCount + 2)));
        var cluster = first;
        long count = 0;
        while (true)
        {
            if (cluster < 2 || cluster > last)
            {
                throw FatBootSector.Error(Name, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                    $"cluster chain of '{what}' reaches cluster {cluster}, outside 2..{last}"));
            }
            if (visited[(int)cluster])
            {
                throw FatBootSector.Error(Name, ImageError.BadHeader, string.Create(CultureInfo.InvariantCulture,
                    $"cluster chain of '{what}' loops back to cluster {cluster}"));
            }
            visited[(int)cluster] = true;
            if (runs.Count > 0 && runs[^1].First + runs[^1].Count == cluster)
            {
                runs[^1] = (runs[^1].First, runs[^1].Count + 1);
            }
            else
            {
                runs.Add((cluster, 1));
            }
            if (++count == maxClusters)
            {
                if (!exact)
                {
                    var after = Next(cluster);
                    if (!IsEnd(after))
                    {
                        throw FatBootSector.Error(Name, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture,
                            $"cluster chain of '{what}' is longer than {maxClusters} clusters"));
                    }
                }
                return runs;
            }
            var next = Next(cluster);
            if (IsEnd(next))
            {
                if (exact)
                {
                    throw FatBootSector.Error(Name, ImageError.Truncated, string.Create(CultureInfo.InvariantCulture,
                        $"cluster chain of '{what}' ends after {count} clusters; its size needs {maxClusters}"));
                }
                return runs;
            }
            cluster = next;
        }
    }

    internal void ReadCluster(uint cluster, long within, Span<byte> dest, string what)
    {
        var offset = Boot.DataOffset + ((long)(cluster - 2) * Boot.ClusterBytes) + within;
        _volume.Read(offset, dest, "vfat", what);
    }

    private List<FatDirectoryEntry> ReadDirectory(uint cluster, string what, out string? label)
    {
        byte[] data;
        if (cluster == 0 && Boot.FatBits != 32)
        {
            data = new byte[Boot.RootDirBytes];
            _volume.Read(Boot.RootDirOffset, data, "vfat", "root directory");
        }
        else
        {
            var maxClusters = Math.Max(1, MaxDirectoryBytes / Boot.ClusterBytes);
            var runs = Chain(cluster, maxClusters, exact: false, what);
            var total = runs.Sum(r => (long)r.Count) * Boot.ClusterBytes;
            data = new byte[total];
            var at = 0L;
            foreach (var (first, count) in runs)
            {
                var n = count * Boot.ClusterBytes;
                ReadCluster(first, 0, data.AsSpan((int)at, (int)n), what);
                at += n;
            }
        }
        var entries = FatDirectory.Parse(data, what, Name, out label);
        return entries;
    }

    private static FatDirectoryEntry EntryOf(FileSystemEntry e) =>
        e.Handle as FatDirectoryEntry? ?? throw new ArgumentException($"'{e.Name}' does not come from a FAT file system", nameof(e));

    public IReadOnlyList<FileSystemEntry> List(FileSystemEntry directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var d = EntryOf(directory);
        if (!d.IsDirectory)
        {
            throw new IOException($"{Name}: '{directory.Name}' is not a directory");
        }
        var isRoot = ReferenceEquals(directory, Root) || d.FirstCluster == Root.Id && directory.Name == "/";
        var entries = isRoot ? _root : ReadDirectory(d.FirstCluster, directory.Name, out _);
        var result = new List<FileSystemEntry>(entries.Count);
        foreach (var e in entries)
        {
            if (e.IsDirectory && e.FirstCluster == 0)
            {
                throw FatBootSector.Error(Name, ImageError.BadHeader, $"directory '{e.Name}' in '{directory.Name}' starts at cluster 0 (the root): a directory loop");
            }
            var kind = e.IsDirectory ? FileSystemEntryKind.Directory : FileSystemEntryKind.File;
            result.Add(new FileSystemEntry(e.Name, kind, e.IsDirectory ? 0 : e.Size, e.FirstCluster, e.IsDirectory ? 0x41ED : 0x81A4, 0, 0, e.Modified) { Handle = e });
        }
        return result;
    }

    public Stream OpenRead(FileSystemEntry file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var e = EntryOf(file);
        if (e.IsDirectory)
        {
            throw new IOException($"{Name}: '{file.Name}' is a directory");
        }
        var needed = (e.Size + Boot.ClusterBytes - 1) / Boot.ClusterBytes;
        var runs = Chain(e.FirstCluster, needed, exact: true, file.Name);
        return new FatFileStream(this, runs, e.Size);
    }

    public string ReadLink(FileSystemEntry symlink) => throw new IOException($"{Name}: FAT has no symbolic links");
}
