using System.Globalization;
namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>
/// Reads files out of an ISO 9660 image (with Joliet and Rock Ridge names) and reports its El Torito
/// boot catalog: enough to pull a kernel and initrd out of an installer ISO. The image is any
/// <see cref="VirtualDisk"/> (normally the raw disk DiskImage opens for an .iso). Read-only and
/// thread-safe: nothing is cached that a reader could change.
/// </summary>
public sealed class IsoFileSystem
{
    /// <summary>Volume descriptors looked at before giving up on a terminator.</summary>
    public const int MaxVolumeDescriptors = 64;

    /// <summary>Largest directory read into memory.</summary>
    public const int MaxDirectoryBytes = 16 << 20;

    /// <summary>Deepest path followed (ECMA-119 allows 8 levels; Rock Ridge trees go deeper).</summary>
    public const int MaxDepth = 255;

    /// <summary>Most entries a full walk visits before calling the tree hostile.</summary>
    public const int MaxWalkEntries = 1_000_000;

    /// <summary>Multi-extent pieces joined into one file at most (each piece is below 4 GiB).</summary>
    public const int MaxExtentsPerFile = 4096;

    private readonly VirtualDisk _disk;
    private readonly IsoDirectoryRecord _root;
    private readonly int _suspSkip;

    private IsoFileSystem(VirtualDisk disk, IsoVolumeDescriptor volume, bool joliet, bool rockRidge, int suspSkip, ElToritoCatalog? boot)
    {
        _disk = disk;
        _root = volume.Root!.Value;
        BlockSize = volume.LogicalBlockSize;
        VolumeId = volume.VolumeId;
        IsJoliet = joliet;
        HasRockRidge = rockRidge;
        _suspSkip = suspSkip;
        BootCatalog = boot;
    }

    public string VolumeId { get; }
    public int BlockSize { get; }

    /// <summary>True when names come from the Joliet (UCS-2) tree.</summary>
    public bool IsJoliet { get; }

    /// <summary>True when the primary tree carries Rock Ridge (SUSP "SP" in the root).</summary>
    public bool HasRockRidge { get; }

    /// <summary>The El Torito boot catalog, or null when the image is not bootable from CD.</summary>
    public ElToritoCatalog? BootCatalog { get; }

    private string Path => _disk.Path;

    /// <summary>ISO 9660 logical sectors are 2048 bytes.</summary>
    public const int SectorSize = IsoVolumeDescriptor.Size;

    /// <summary>
    /// What `image info` shows for an ISO: the volume label, which name trees it has, and its El Torito
    /// boot entries (platform, emulation, load size) — enough to tell a BIOS/UEFI installer from a data
    /// disc. A damaged file system is reported as a feature rather than failing the whole command.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DescribeFeatures(VirtualDisk disk)
    {
        var features = new Dictionary<string, string>();
        IsoFileSystem fs;
        try
        {
            fs = Open(disk);
        }
        catch (ImageFormatException e)
        {
            features["problem"] = e.Problem;
            return features;
        }
        features["volume-id"] = fs.VolumeId;
        features["joliet"] = fs.IsJoliet ? "true" : "false";
        features["rock-ridge"] = fs.HasRockRidge ? "true" : "false";
        if (fs.BootCatalog is not { } catalog)
        {
            features["el-torito"] = "none";
            return features;
        }
        features["el-torito"] = string.Join(", ", catalog.Entries.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{PlatformName(e.Platform)} {EmulationName(e.Emulation)}{(e.Bootable ? "" : " (not bootable)")} {e.SectorCount * 512L} bytes at sector {e.LoadRba}")));
        return features;
    }

    private static string PlatformName(ElToritoPlatform p) => p switch
    {
        ElToritoPlatform.X86 => "bios",
        ElToritoPlatform.Efi => "uefi",
        ElToritoPlatform.PowerPc => "powerpc",
        ElToritoPlatform.Mac => "mac",
        _ => string.Create(CultureInfo.InvariantCulture, $"platform-0x{(byte)p:x2}"),
    };

    private static string EmulationName(ElToritoEmulation e) => e switch
    {
        ElToritoEmulation.NoEmulation => "no-emulation",
        ElToritoEmulation.Floppy12M => "floppy-1.2M",
        ElToritoEmulation.Floppy144M => "floppy-1.44M",
        ElToritoEmulation.Floppy288M => "floppy-2.88M",
        _ => "hard-disk",
    };

    /// <summary>Reads the volume descriptors and picks the tree: Joliet when present (unless told not to).</summary>
    public static IsoFileSystem Open(VirtualDisk disk, bool preferJoliet = true)
    {
        ArgumentNullException.ThrowIfNull(disk);
        IsoVolumeDescriptor? primary = null;
        IsoVolumeDescriptor? joliet = null;
        IsoVolumeDescriptor? bootRecord = null;
        var buf = new byte[IsoVolumeDescriptor.Size];
        for (var i = 0; i < MaxVolumeDescriptors; i++)
        {
            var at = (long)(IsoVolumeDescriptor.FirstSector + i) * IsoVolumeDescriptor.Size;
            if (at + IsoVolumeDescriptor.Size > disk.Length)
            {
                throw new ImageFormatException(disk.Path, ImageFormat.Iso, ImageError.Truncated,
                    $"volume descriptor set runs past the end of the image ({disk.Length} bytes) without a terminator");
            }
            disk.Read(at, buf);
            var vd = IsoVolumeDescriptor.Parse(buf, disk.Path);
            if (vd.Type == IsoVolumeDescriptorType.Terminator)
            {
                break;
            }
            switch (vd.Type)
            {
                case IsoVolumeDescriptorType.Primary:
                    primary ??= vd;
                    break;
                case IsoVolumeDescriptorType.Supplementary when vd.IsJoliet:
                    joliet ??= vd;
                    break;
                case IsoVolumeDescriptorType.BootRecord when vd.BootSystemId == IsoVolumeDescriptor.ElToritoId:
                    bootRecord ??= vd;
                    break;
                default:
                    break;
            }
        }
        if (primary is null)
        {
            throw new ImageFormatException(disk.Path, ImageFormat.Iso, ImageError.BadHeader, "no primary volume descriptor");
        }
        var boot = bootRecord is { } br ? ReadCatalog(disk, br.BootCatalogLba) : null;
        var useJoliet = preferJoliet && joliet is not null;
        var volume = useJoliet ? joliet!.Value : primary.Value;
        CheckExtent(disk, volume.LogicalBlockSize, volume.Root!.Value.ExtentLba, volume.Root.Value.DataLength, "/");
        // Rock Ridge: the root's "." record starts its system use area with SUSP "SP" (LEN_SKP at byte 6).
        // Checked on the primary tree even when names come from Joliet, so info can say it is there.
        if (useJoliet)
        {
            CheckExtent(disk, primary.Value.LogicalBlockSize, primary.Value.Root!.Value.ExtentLba, primary.Value.Root.Value.DataLength, "/");
        }
        var first = ReadSelfRecord(disk, primary.Value);
        var rockRidge = first.HasSharingProtocolMarker;
        var skip = useJoliet ? 0 : first.SuspSkipBytes;
        return new IsoFileSystem(disk, volume, useJoliet, rockRidge, skip, boot);
    }

    private static IsoDirectoryRecord ReadSelfRecord(VirtualDisk disk, IsoVolumeDescriptor volume)
    {
        var root = volume.Root!.Value;
        var len = (int)Math.Min(root.DataLength, 255);
        var buf = new byte[len];
        disk.Read((long)root.ExtentLba * volume.LogicalBlockSize, buf);
        return IsoDirectoryRecord.Parse(buf, false, 0, disk.Path);
    }

    private static ElToritoCatalog ReadCatalog(VirtualDisk disk, uint lba)
    {
        var at = (long)lba * IsoVolumeDescriptor.Size;
        if (at >= disk.Length)
        {
            throw new ImageFormatException(disk.Path, ImageFormat.Iso, ImageError.PointerOutOfRange,
                $"boot catalog at sector {lba} lies past the end of the image ({disk.Length} bytes)");
        }
        var len = (int)Math.Min(ElToritoCatalog.MaxSectors * IsoVolumeDescriptor.Size, disk.Length - at);
        var buf = new byte[len];
        disk.Read(at, buf);
        return ElToritoCatalog.Parse(buf, lba, disk.Length, disk.Path);
    }

    private static void CheckExtent(VirtualDisk disk, int blockSize, uint lba, uint length, string what)
    {
        var start = (long)lba * blockSize;
        if (start > disk.Length || length > disk.Length - start)
        {
            throw new ImageFormatException(disk.Path, ImageFormat.Iso, ImageError.PointerOutOfRange,
                $"'{what}' extent at block {lba} ({length} bytes) lies past the end of the image ({disk.Length} bytes)");
        }
    }

    /// <summary>The entries of a directory ("/" or "/a/b"), without "." and "..".</summary>
    public IReadOnlyList<IsoEntry> List(string path = "/")
    {
        var (entry, full) = Resolve(path);
        if (!entry.IsDirectory)
        {
            throw new IOException($"{Path}: '{full}' is not a directory");
        }
        return ReadDirectory(entry, full);
    }

    /// <summary>The entry at <paramref name="path"/>. Throws FileNotFoundException when there is none.</summary>
    public IsoEntry Stat(string path) => Resolve(path).Entry;

    /// <summary>True when <paramref name="path"/> names a file or directory.</summary>
    public bool Exists(string path)
    {
        try
        {
            Resolve(path);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>A read-only stream over a file's bytes.</summary>
    public Stream OpenRead(string path)
    {
        var (entry, full) = Resolve(path);
        if (entry.IsDirectory)
        {
            throw new IOException($"{Path}: '{full}' is a directory");
        }
        return new IsoFileStream(_disk, entry, BlockSize);
    }

    /// <summary>Reads a whole file (bounded by <paramref name="maxBytes"/>).</summary>
    public byte[] ReadAllBytes(string path, int maxBytes = 256 << 20)
    {
        using var s = OpenRead(path);
        if (s.Length > maxBytes)
        {
            throw new IOException($"{Path}: '{path}' is {s.Length} bytes, more than {maxBytes}");
        }
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// Every entry under <paramref name="path"/>, depth first, with its full path. Refuses directory loops
    /// (a directory whose extent is already being walked) and absurd trees.
    /// </summary>
    public IEnumerable<(string Path, IsoEntry Entry)> Walk(string path = "/")
    {
        var (start, full) = Resolve(path);
        if (!start.IsDirectory)
        {
            yield return (full, start);
            yield break;
        }
        var seen = new HashSet<uint> { start.Extents[0].Lba };
        var stack = new Stack<(string Path, IsoEntry Entry, int Depth)>();
        stack.Push((full, start, 0));
        var visited = 0;
        while (stack.Count > 0)
        {
            var (dirPath, dir, depth) = stack.Pop();
            var children = ReadDirectory(dir, dirPath);
            foreach (var child in children)
            {
                if (++visited > MaxWalkEntries)
                {
                    throw Error(ImageError.SizeOutOfRange, $"more than {MaxWalkEntries} entries under '{full}'");
                }
                var childPath = dirPath == "/" ? "/" + child.Name : dirPath + "/" + child.Name;
                yield return (childPath, child);
                if (child.IsDirectory)
                {
                    if (depth + 1 >= MaxDepth)
                    {
                        throw Error(ImageError.SizeOutOfRange, $"'{childPath}' is nested deeper than {MaxDepth} levels");
                    }
                    if (!seen.Add(child.Extents[0].Lba))
                    {
                        throw Error(ImageError.BadHeader, $"directory loop: '{childPath}' refers to block {child.Extents[0].Lba}, which is already in the tree");
                    }
                    stack.Push((childPath, child, depth + 1));
                }
            }
        }
    }

    private (IsoEntry Entry, string FullPath) Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > MaxDepth)
        {
            throw new FileNotFoundException($"{Path}: path '{path}' is deeper than {MaxDepth} levels");
        }
        var entry = new IsoEntry("/", _root.Flags | IsoFileFlags.Directory, [new IsoExtent(_root.ExtentLba, _root.DataLength)], _root.Recorded);
        var full = "/";
        foreach (var part in parts)
        {
            if (part == ".")
            {
                continue;
            }
            if (!entry.IsDirectory)
            {
                throw new FileNotFoundException($"{Path}: '{full}' is not a directory");
            }
            var children = ReadDirectory(entry, full);
            // Exact match first; then the case-insensitive one (ISO names are upper case, users type lower).
            var next = children.FirstOrDefault(c => string.Equals(c.Name, part, StringComparison.Ordinal)) ??
                       children.FirstOrDefault(c => string.Equals(c.Name, part, StringComparison.OrdinalIgnoreCase)) ??
                       throw new FileNotFoundException($"{Path}: no '{part}' in '{full}'");
            entry = next;
            full = full == "/" ? "/" + next.Name : full + "/" + next.Name;
        }
        return (entry, full);
    }

    /// <summary>The entries of a directory already resolved (for <see cref="FileSystems.IsoFileSystemReader"/>).</summary>
    internal List<IsoEntry> ListEntry(IsoEntry dir, string dirPath) => ReadDirectory(dir, dirPath);

    /// <summary>A stream over a file already resolved.</summary>
    internal Stream OpenEntry(IsoEntry file) => new IsoFileStream(_disk, file, BlockSize);

    /// <summary>The root directory as an entry.</summary>
    internal IsoEntry RootEntry => new("/", _root.Flags | IsoFileFlags.Directory, [new IsoExtent(_root.ExtentLba, _root.DataLength)], _root.Recorded);

    private List<IsoEntry> ReadDirectory(IsoEntry dir, string dirPath)
    {
        var extent = dir.Extents[0];
        if (extent.Length > MaxDirectoryBytes)
        {
            throw Error(ImageError.SizeOutOfRange, $"directory '{dirPath}' is {extent.Length} bytes, more than {MaxDirectoryBytes}");
        }
        CheckExtent(_disk, BlockSize, extent.Lba, extent.Length, dirPath);
        var data = new byte[extent.Length];
        _disk.Read((long)extent.Lba * BlockSize, data);
        var result = new List<IsoEntry>();
        List<IsoExtent>? pending = null;
        IsoDirectoryRecord pendingRecord = default;
        var pos = 0;
        while (pos < data.Length)
        {
            if (data[pos] == 0)
            {
                // Records never cross a logical sector: a zero length byte pads to the next sector.
                pos = ((pos / IsoVolumeDescriptor.Size) + 1) * IsoVolumeDescriptor.Size;
                continue;
            }
            var rec = IsoDirectoryRecord.Parse(data.AsSpan(pos), IsJoliet, _suspSkip, Path);
            pos += rec.Length;
            if (rec.IsSelf || rec.IsParent)
            {
                continue;
            }
            var name = !IsJoliet && rec.RockRidgeName is { Length: > 0 } rr ? rr : rec.Name;
            if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
            {
                throw Error(ImageError.BadHeader, $"directory '{dirPath}' holds an entry named '{IsoVolumeDescriptor.Printable(System.Text.Encoding.UTF8.GetBytes(name))}'");
            }
            CheckExtent(_disk, BlockSize, rec.ExtentLba, rec.DataLength, dirPath == "/" ? "/" + name : dirPath + "/" + name);
            if (pending is not null)
            {
                if (rec.Name != pendingRecord.Name)
                {
                    throw Error(ImageError.BadHeader, $"multi-extent file '{pendingRecord.Name}' in '{dirPath}' is followed by '{rec.Name}' instead of its next extent");
                }
                if (pending.Count >= MaxExtentsPerFile)
                {
                    throw Error(ImageError.SizeOutOfRange, $"file '{rec.Name}' in '{dirPath}' has more than {MaxExtentsPerFile} extents");
                }
                pending.Add(new IsoExtent(rec.ExtentLba, rec.DataLength));
            }
            else
            {
                pending = [new IsoExtent(rec.ExtentLba, rec.DataLength)];
                pendingRecord = rec with { Name = rec.Name };
            }
            if ((rec.Flags & IsoFileFlags.MultiExtent) != 0)
            {
                continue;
            }
            var firstName = !IsJoliet && pendingRecord.RockRidgeName is { Length: > 0 } r0 ? r0 : pendingRecord.Name;
            result.Add(new IsoEntry(firstName, pendingRecord.Flags & ~IsoFileFlags.MultiExtent, pending, pendingRecord.Recorded));
            pending = null;
        }
        if (pending is not null)
        {
            throw Error(ImageError.Truncated, $"multi-extent file '{pendingRecord.Name}' in '{dirPath}' has no final extent");
        }
        return result;
    }

    private ImageFormatException Error(ImageError reason, string problem) => new(Path, ImageFormat.Iso, reason, problem);
}
