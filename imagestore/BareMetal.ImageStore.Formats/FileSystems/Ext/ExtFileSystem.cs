using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// Reads ext2, ext3 and ext4 read-only: group descriptors (32- and 64-byte, meta_bg), inode tables
/// wherever the descriptors put them (flex_bg), extent trees and classic block maps, linear and htree
/// directories (read linearly), inline data, fast and slow symlinks, sparse files. The journal is not
/// replayed: the file system is read as it stands, as debugfs reads it. Thread-safe.
/// </summary>
public sealed class ExtFileSystem : IFileSystemReader
{
    /// <summary>Largest directory read into memory.</summary>
    public const int MaxDirectoryBytes = 128 << 20;

    /// <summary>Most leaf extents one file may have.</summary>
    public const int MaxExtentsPerFile = 1 << 20;

    /// <summary>Most extent-tree blocks read for one file.</summary>
    public const int MaxExtentTreeBlocks = 1 << 16;

    /// <summary>Longest symlink target read (PATH_MAX).</summary>
    public const int MaxSymlinkBytes = 4096;

    /// <summary>Largest file size believed (ext4's limit with 64 KiB blocks is below 2^48... 2^50 leaves room).</summary>
    public const long MaxFileSize = 1L << 50;

    public const uint RootInode = 2;

    private readonly DiskSlice _volume;
    private readonly ConcurrentDictionary<ulong, ulong> _inodeTables = new();

    private ExtFileSystem(DiskSlice volume, ExtSuperblock sb)
    {
        _volume = volume;
        Superblock = sb;
        var rootInode = ReadInode(RootInode);
        if (rootInode.Kind != FileSystemEntryKind.Directory)
        {
            throw ExtSuperblock.Error(Name, ImageError.BadHeader, $"root inode {RootInode} is not a directory (mode 0{Convert.ToString(rootInode.Mode, 8)})");
        }
        Root = Entry("/", rootInode);
    }

    public ExtSuperblock Superblock { get; }
    public string Name => _volume.Name;
    public string Type => Superblock.TypeName;
    public bool CaseInsensitive => false;
    public string? Label => Superblock.Label.Length == 0 ? null : Superblock.Label;
    public string? Uuid => Superblock.Uuid;
    public FileSystemEntry Root { get; }

    /// <summary>True when the volume holds an ext superblock magic (cheap; no validation).</summary>
    public static bool Probe(ReadOnlySpan<byte> volumeHead) =>
        volumeHead.Length >= ExtSuperblock.Offset + 0x3A &&
        BinaryPrimitives.ReadUInt16LittleEndian(volumeHead.Slice(ExtSuperblock.Offset + 0x38, 2)) == ExtSuperblock.Magic;

    public static ExtFileSystem Open(DiskSlice volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var buf = new byte[ExtSuperblock.Size];
        volume.Read(ExtSuperblock.Offset, buf, "ext", "superblock");
        var sb = ExtSuperblock.Parse(buf, volume.Length, volume.Name);
        return new ExtFileSystem(volume, sb);
    }

    internal void ReadAt(long offset, Span<byte> dest, string what)
    {
        var fsBytes = (long)Superblock.BlocksCount * Superblock.BlockSize;
        if (offset < 0 || offset > fsBytes || dest.Length > fsBytes - offset)
        {
            throw ExtSuperblock.Error(Name, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"{what} at byte {offset} ({dest.Length} bytes) lies past the end of the file system ({fsBytes} bytes)"));
        }
        _volume.Read(offset, dest, "ext", what);
    }

    internal void ReadBlock(ulong block, Span<byte> dest, string what)
    {
        if (block == 0 || block >= Superblock.BlocksCount)
        {
            throw ExtSuperblock.Error(Name, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"{what} at block {block} lies outside the file system ({Superblock.BlocksCount} blocks)"));
        }
        ReadAt((long)block * Superblock.BlockSize, dest, what);
    }

    private bool GroupHasSuper(ulong group)
    {
        if ((Superblock.RoCompat & ExtFeatures.RoCompatSparseSuper) == 0 || group <= 1)
        {
            return true;
        }
        foreach (var b in (ulong[])[3, 5, 7])
        {
            var p = b;
            while (p < group)
            {
                p *= b;
            }
            if (p == group)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The inode table's first block for <paramref name="group"/>, from its group descriptor.</summary>
    private ulong InodeTable(ulong group)
    {
        if (_inodeTables.TryGetValue(group, out var cached))
        {
            return cached;
        }
        var sb = Superblock;
        var perBlock = (ulong)(sb.BlockSize / sb.DescriptorSize);
        var descBlockIndex = group / perBlock;
        ulong block;
        if (!sb.Has(ExtFeatures.IncompatMetaBg) || descBlockIndex < sb.FirstMetaBg)
        {
            block = sb.FirstDataBlock + 1 + descBlockIndex;
        }
        else
        {
            // meta_bg: each metagroup's descriptors sit in its first group, after a backup superblock if any.
            var firstGroup = descBlockIndex * perBlock;
            block = sb.FirstDataBlock + (firstGroup * sb.BlocksPerGroup) + (GroupHasSuper(firstGroup) ? 1UL : 0UL);
        }
        var desc = new byte[sb.DescriptorSize];
        var offset = checked(((long)block * sb.BlockSize) + ((long)(group % perBlock) * sb.DescriptorSize));
        ReadAt(offset, desc, string.Create(CultureInfo.InvariantCulture, $"group descriptor {group}"));
        ulong table = BinaryPrimitives.ReadUInt32LittleEndian(desc.AsSpan(8, 4));
        if (sb.DescriptorSize >= 64)
        {
            table |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(desc.AsSpan(0x28, 4)) << 32;
        }
        var tableBlocks = ((ulong)sb.InodesPerGroup * (ulong)sb.InodeSize + (ulong)sb.BlockSize - 1) / (ulong)sb.BlockSize;
        if (table == 0 || table >= sb.BlocksCount || tableBlocks > sb.BlocksCount - table)
        {
            throw ExtSuperblock.Error(Name, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"group descriptor {group} at byte {offset}: inode table at block {table} ({tableBlocks} blocks) lies outside the file system ({sb.BlocksCount} blocks)"));
        }
        _inodeTables[group] = table;
        return table;
    }

    /// <summary>Reads inode <paramref name="number"/> (1-based).</summary>
    public ExtInode ReadInode(uint number)
    {
        var sb = Superblock;
        if (number < 1 || number > sb.InodesCount)
        {
            throw ExtSuperblock.Error(Name, ImageError.PointerOutOfRange, $"inode {number} is outside 1..{sb.InodesCount}");
        }
        var group = (number - 1) / sb.InodesPerGroup;
        var index = (number - 1) % sb.InodesPerGroup;
        var table = InodeTable(group);
        var raw = new byte[sb.InodeSize];
        ReadAt(checked(((long)table * sb.BlockSize) + ((long)index * sb.InodeSize)), raw, string.Create(CultureInfo.InvariantCulture, $"inode {number}"));
        var inode = ExtInode.Parse(raw, number, Name);
        if (inode.Size > MaxFileSize)
        {
            throw ExtSuperblock.Error(Name, ImageError.SizeOutOfRange, $"inode {number}: size {inode.Size} is more than {MaxFileSize}");
        }
        return inode;
    }

    private FileSystemEntry Entry(string name, ExtInode inode) =>
        new(name, inode.Kind, (long)inode.Size, inode.Number, inode.Mode, inode.Uid, inode.Gid, inode.Modified) { Handle = inode };

    private static ExtInode InodeOf(FileSystemEntry e) =>
        e.Handle as ExtInode ?? throw new ArgumentException($"'{e.Name}' does not come from an ext file system", nameof(e));

    public IReadOnlyList<FileSystemEntry> List(FileSystemEntry directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var inode = InodeOf(directory);
        if (inode.Kind != FileSystemEntryKind.Directory)
        {
            throw new IOException($"{Name}: '{directory.Name}' is not a directory");
        }
        var names = new List<(string Name, uint Inode)>();
        var fileType = Superblock.Has(ExtFeatures.IncompatFileType);
        var where = string.Create(CultureInfo.InvariantCulture, $"inode {inode.Number}");
        if (inode.Has(ExtInode.FlagInlineData))
        {
            // Inline directory: u32 parent inode, then entries in the rest of i_block and in system.data.
            ExtDirectoryBlock.Parse(inode.Block[4..], fileType, Superblock.InodesCount, where, Name, names);
            var more = ExtXattrs.FindSystemData(inode.XattrArea, inode.Number, Name);
            if (more.Length > 0)
            {
                ExtDirectoryBlock.Parse(more, fileType, Superblock.InodesCount, where, Name, names);
            }
        }
        else
        {
            CheckEncrypted(inode);
            if (inode.Size > MaxDirectoryBytes || inode.Size > Superblock.BlocksCount * (ulong)Superblock.BlockSize)
            {
                throw ExtSuperblock.Error(Name, ImageError.SizeOutOfRange, $"directory inode {inode.Number} is {inode.Size} bytes, more than {MaxDirectoryBytes} or the file system's size");
            }
            var bs = Superblock.BlockSize;
            var data = new byte[(int)inode.Size];
            using (var s = new ExtFileStream(this, BlockMap(inode), data.Length))
            {
                s.ReadExactly(data);
            }
            for (var off = 0; off < data.Length; off += bs)
            {
                var block = data.AsSpan(off, Math.Min(bs, data.Length - off));
                // A hole in a directory (sparse htree leaf) reads as zeros: no entries there.
                if (block.IndexOfAnyExcept((byte)0) < 0)
                {
                    continue;
                }
                ExtDirectoryBlock.Parse(block, fileType, Superblock.InodesCount,
                    string.Create(CultureInfo.InvariantCulture, $"inode {inode.Number} block {off / bs}"), Name, names);
            }
        }
        var result = new List<FileSystemEntry>(names.Count);
        foreach (var (n, ino) in names)
        {
            result.Add(Entry(n, ReadInode(ino)));
        }
        return result;
    }

    private void CheckEncrypted(ExtInode inode)
    {
        if (inode.Has(ExtInode.FlagEncrypt))
        {
            throw ExtSuperblock.Error(Name, ImageError.Unsupported, $"inode {inode.Number} is encrypted (fscrypt); encrypted files are not supported");
        }
    }

    private IExtBlockMap BlockMap(ExtInode inode) =>
        inode.Has(ExtInode.FlagExtents) ? new ExtExtentMap(this, inode) : new ExtIndirectMap(this, inode);

    public Stream OpenRead(FileSystemEntry file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var inode = InodeOf(file);
        if (inode.Kind == FileSystemEntryKind.Directory)
        {
            throw new IOException($"{Name}: '{file.Name}' is a directory");
        }
        if (inode.Has(ExtInode.FlagInlineData))
        {
            return new MemoryStream(InlineBytes(inode), writable: false);
        }
        CheckEncrypted(inode);
        return new ExtFileStream(this, BlockMap(inode), (long)inode.Size);
    }

    /// <summary>Inline data: i_block's 60 bytes, then system.data, cut to i_size.</summary>
    private byte[] InlineBytes(ExtInode inode)
    {
        var more = ExtXattrs.FindSystemData(inode.XattrArea, inode.Number, Name);
        var size = (long)inode.Size;
        if (size > ExtInode.BlockBytes + more.Length)
        {
            throw ExtSuperblock.Error(Name, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"inode {inode.Number}: inline file of {size} bytes, but only {ExtInode.BlockBytes + more.Length} are stored inline"));
        }
        var bytes = new byte[size];
        var first = (int)Math.Min(size, ExtInode.BlockBytes);
        inode.Block[..first].CopyTo(bytes);
        more[..(int)(size - first)].CopyTo(bytes.AsSpan(first));
        return bytes;
    }

    public string ReadLink(FileSystemEntry symlink)
    {
        ArgumentNullException.ThrowIfNull(symlink);
        var inode = InodeOf(symlink);
        if (inode.Kind != FileSystemEntryKind.Symlink)
        {
            throw new IOException($"{Name}: '{symlink.Name}' is not a symbolic link");
        }
        if (inode.Size == 0 || inode.Size > MaxSymlinkBytes)
        {
            throw ExtSuperblock.Error(Name, ImageError.SizeOutOfRange, $"symlink inode {inode.Number} has a {inode.Size}-byte target (1..{MaxSymlinkBytes})");
        }
        byte[] target;
        if (inode.Has(ExtInode.FlagInlineData))
        {
            target = InlineBytes(inode);
        }
        else if (!inode.Has(ExtInode.FlagExtents) && inode.Size < ExtInode.BlockBytes)
        {
            // A fast symlink keeps its target in i_block itself.
            target = inode.Block[..(int)inode.Size].ToArray();
        }
        else
        {
            CheckEncrypted(inode);
            target = new byte[(int)inode.Size];
            using var s = new ExtFileStream(this, BlockMap(inode), target.Length);
            s.ReadExactly(target);
        }
        return Encoding.UTF8.GetString(target);
    }
}
