using System.Globalization;

namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// A file's extent tree, flattened into its sorted leaf extents when the file is opened. The walk
/// follows index entries only downwards (each child one level below its parent), reads at most
/// <see cref="ExtFileSystem.MaxExtentTreeBlocks"/> blocks and keeps at most
/// <see cref="ExtFileSystem.MaxExtentsPerFile"/> extents; every extent must lie inside the file system.
/// </summary>
internal sealed class ExtExtentMap : IExtBlockMap
{
    private readonly ExtExtent[] _extents;

    public ExtExtentMap(ExtFileSystem fs, ExtInode inode)
    {
        var list = new List<ExtExtent>();
        var root = ExtExtentNode.Parse(inode.Block, $"in inode {inode.Number}", fs.Name);
        var blocksRead = 0;
        Collect(fs, inode, root, list, ref blocksRead);
        list.Sort((a, b) => a.Logical.CompareTo(b.Logical));
        for (var i = 1; i < list.Count; i++)
        {
            if ((ulong)list[i - 1].Logical + list[i - 1].Count > list[i].Logical)
            {
                throw ExtSuperblock.Error(fs.Name, ImageError.BadHeader, string.Create(CultureInfo.InvariantCulture,
                    $"inode {inode.Number}: extents at logical blocks {list[i - 1].Logical} and {list[i].Logical} overlap"));
            }
        }
        _extents = [.. list];
    }

    private static void Collect(ExtFileSystem fs, ExtInode inode, ExtExtentNode node, List<ExtExtent> into, ref int blocksRead)
    {
        var sb = fs.Superblock;
        foreach (var e in node.Extents)
        {
            if (e.Count == 0)
            {
                continue;
            }
            if (e.Physical == 0 || e.Physical >= sb.BlocksCount || e.Count > sb.BlocksCount - e.Physical)
            {
                throw ExtSuperblock.Error(fs.Name, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                    $"inode {inode.Number}: extent of {e.Count} blocks at block {e.Physical} points past the end of the file system ({sb.BlocksCount} blocks)"));
            }
            if (into.Count >= ExtFileSystem.MaxExtentsPerFile)
            {
                throw ExtSuperblock.Error(fs.Name, ImageError.SizeOutOfRange, $"inode {inode.Number}: more than {ExtFileSystem.MaxExtentsPerFile} extents");
            }
            into.Add(e);
        }
        foreach (var (_, child) in node.Children)
        {
            if (++blocksRead > ExtFileSystem.MaxExtentTreeBlocks)
            {
                throw ExtSuperblock.Error(fs.Name, ImageError.SizeOutOfRange, $"inode {inode.Number}: extent tree has more than {ExtFileSystem.MaxExtentTreeBlocks} blocks");
            }
            var where = string.Create(CultureInfo.InvariantCulture, $"at block {child} of inode {inode.Number}");
            var block = new byte[sb.BlockSize];
            fs.ReadBlock(child, block, "extent tree node");
            var sub = ExtExtentNode.Parse(block, where, fs.Name);
            if (sub.Depth != node.Depth - 1)
            {
                throw ExtSuperblock.Error(fs.Name, ImageError.BadHeader, $"extent node {where}: depth {sub.Depth} under a node of depth {node.Depth}");
            }
            Collect(fs, inode, sub, into, ref blocksRead);
        }
    }

    public (ulong Physical, long Count) Map(long logical)
    {
        // The last extent starting at or before logical.
        int lo = 0, hi = _extents.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_extents[mid].Logical <= logical)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        if (found >= 0)
        {
            var e = _extents[found];
            var into = logical - e.Logical;
            if (into < e.Count)
            {
                return (e.Uninitialized ? 0 : e.Physical + (ulong)into, e.Count - into);
            }
        }
        // A hole up to the next extent (or on for ever).
        var next = found + 1 < _extents.Length ? _extents[found + 1].Logical - logical : long.MaxValue;
        return (0, next);
    }
}
