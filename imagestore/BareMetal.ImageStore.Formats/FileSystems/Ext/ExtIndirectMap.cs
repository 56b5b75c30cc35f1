using System.Buffers.Binary;
using System.Globalization;

namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// The classic ext2/3 block map: i_block[0..11] direct, [12] indirect, [13] double, [14] triple
/// indirect; a zero pointer is a hole. Looked up lazily, each pointer block read once per stream (a
/// small cache), every pointer checked against the file system's size.
/// </summary>
internal sealed class ExtIndirectMap : IExtBlockMap
{
    private const int Direct = 12;

    /// <summary>Pointer blocks kept per open file.</summary>
    private const int CacheBlocks = 64;

    private readonly ExtFileSystem _fs;
    private readonly ExtInode _inode;
    private readonly uint[] _root = new uint[15];
    private readonly long _perBlock;
    private readonly Dictionary<uint, uint[]> _cache = [];
    private readonly Lock _lock = new();

    public ExtIndirectMap(ExtFileSystem fs, ExtInode inode)
    {
        _fs = fs;
        _inode = inode;
        for (var i = 0; i < 15; i++)
        {
            _root[i] = BinaryPrimitives.ReadUInt32LittleEndian(inode.Block.Slice(i * 4, 4));
        }
        _perBlock = fs.Superblock.BlockSize / 4;
    }

    public (ulong Physical, long Count) Map(long logical)
    {
        var first = MapOne(logical);
        // Coalesce a contiguous run (the pointers come from cached blocks) so reads stay large.
        long count = 1;
        while (count < 256)
        {
            var next = MapOne(logical + count);
            if (first == 0 ? next != 0 : next != first + (ulong)count)
            {
                break;
            }
            count++;
        }
        return (first, count);
    }

    private ulong MapOne(long l)
    {
        if (l < Direct)
        {
            return Check(_root[l]);
        }
        l -= Direct;
        var n = _perBlock;
        if (l < n)
        {
            return Check(Pointer(_root[12], l));
        }
        l -= n;
        if (l < n * n)
        {
            return Check(Pointer(Pointer(_root[13], l / n), l % n));
        }
        l -= n * n;
        if (l < n * n * n)
        {
            return Check(Pointer(Pointer(Pointer(_root[14], l / (n * n)), l / n % n), l % n));
        }
        return 0;
    }

    private ulong Check(uint block)
    {
        if (block >= _fs.Superblock.BlocksCount)
        {
            throw ExtSuperblock.Error(_fs.Name, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"inode {_inode.Number}: block pointer {block} points past the end of the file system ({_fs.Superblock.BlocksCount} blocks)"));
        }
        return block;
    }

    private uint Pointer(uint block, long index)
    {
        if (block == 0)
        {
            return 0;
        }
        Check(block);
        uint[]? table;
        lock (_lock)
        {
            _cache.TryGetValue(block, out table);
        }
        if (table is null)
        {
            var bytes = new byte[_fs.Superblock.BlockSize];
            _fs.ReadBlock(block, bytes, "indirect block");
            table = new uint[_perBlock];
            for (var i = 0; i < table.Length; i++)
            {
                table[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4, 4));
            }
            lock (_lock)
            {
                if (_cache.Count >= CacheBlocks)
                {
                    _cache.Clear();
                }
                _cache[block] = table;
            }
        }
        return table[index];
    }
}
