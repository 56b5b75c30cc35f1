using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// One node of an extent tree (kernel ext4_extents.h): a 12-byte header (u16 magic 0xF30A, u16 entries,
/// u16 max, u16 depth, u32 generation) then 12-byte entries: at depth 0 leaf extents (u32 first logical
/// block, u16 length, u16 start high, u32 start low), above it index entries (u32 first logical block,
/// u32 child block low, u16 child block high).
/// </summary>
public sealed class ExtExtentNode
{
    public const ushort Magic = 0xF30A;
    public const int HeaderSize = 12;
    public const int EntrySize = 12;

    /// <summary>The kernel never builds a tree deeper than 5.</summary>
    public const int MaxDepth = 5;

    /// <summary>ee_len above this marks an uninitialized extent of (ee_len - 32768) blocks.</summary>
    public const int MaxInitializedLength = 32768;

    private ExtExtentNode(int depth, IReadOnlyList<ExtExtent> extents, IReadOnlyList<(uint Logical, ulong Child)> children)
    {
        Depth = depth;
        Extents = extents;
        Children = children;
    }

    public int Depth { get; }
    public IReadOnlyList<ExtExtent> Extents { get; }
    public IReadOnlyList<(uint Logical, ulong Child)> Children { get; }

    /// <summary>Parses a node held in <paramref name="node"/> (i_block's 60 bytes, or a whole tree block). Pure.</summary>
    public static ExtExtentNode Parse(ReadOnlySpan<byte> node, string where, string? path)
    {
        if (node.Length < HeaderSize)
        {
            throw ExtSuperblock.Error(path, ImageError.Truncated, $"extent node {where}: {node.Length} bytes");
        }
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(node[..2]);
        if (magic != Magic)
        {
            throw ExtSuperblock.Error(path, ImageError.BadHeader, $"extent node {where}: magic is 0x{magic:x4}, expected 0x{Magic:x4}");
        }
        int entries = BinaryPrimitives.ReadUInt16LittleEndian(node.Slice(2, 2));
        int max = BinaryPrimitives.ReadUInt16LittleEndian(node.Slice(4, 2));
        int depth = BinaryPrimitives.ReadUInt16LittleEndian(node.Slice(6, 2));
        var room = (node.Length - HeaderSize) / EntrySize;
        if (max > room || entries > max)
        {
            throw ExtSuperblock.Error(path, ImageError.SizeOutOfRange, $"extent node {where}: {entries} entries of at most {max}, room for {room}");
        }
        if (depth > MaxDepth)
        {
            throw ExtSuperblock.Error(path, ImageError.SizeOutOfRange, $"extent node {where}: depth {depth} is more than {MaxDepth}");
        }
        var extents = new List<ExtExtent>();
        var children = new List<(uint, ulong)>();
        for (var i = 0; i < entries; i++)
        {
            var e = node.Slice(HeaderSize + (i * EntrySize), EntrySize);
            var logical = BinaryPrimitives.ReadUInt32LittleEndian(e[..4]);
            if (depth == 0)
            {
                int len = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(4, 2));
                var start = ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(6, 2)) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(8, 4));
                var uninit = len > MaxInitializedLength;
                extents.Add(new ExtExtent(logical, (uint)(uninit ? len - MaxInitializedLength : len), start, uninit));
            }
            else
            {
                var child = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(4, 4)) | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(8, 2)) << 32);
                children.Add((logical, child));
            }
        }
        return new ExtExtentNode(depth, extents, children);
    }
}
