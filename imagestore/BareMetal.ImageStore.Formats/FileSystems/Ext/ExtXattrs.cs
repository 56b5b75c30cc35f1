using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// In-inode extended attributes (kernel attributes.rst): u32 magic 0xEA020000, then entries of u8 name
/// length, u8 name index (7 = "system."), u16 value offset (from the first entry), u32 value inode,
/// u32 value size, u32 hash, name, padded to 4 bytes; four zero bytes end the list. Inline data keeps the
/// bytes past i_block's 60 in "system.data".
/// </summary>
public static class ExtXattrs
{
    public const uint Magic = 0xEA020000;
    public const int EntryHeader = 16;
    public const byte IndexSystem = 7;

    /// <summary>The value of system.data in an inode's xattr area, or empty when it has none. Pure.</summary>
    public static ReadOnlySpan<byte> FindSystemData(ReadOnlySpan<byte> area, uint inode, string? path)
    {
        if (area.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(area[..4]) != Magic)
        {
            return [];
        }
        var entries = area[4..];
        var pos = 0;
        while (pos + 4 <= entries.Length && BinaryPrimitives.ReadUInt32LittleEndian(entries.Slice(pos, 4)) != 0)
        {
            if (pos + EntryHeader > entries.Length)
            {
                throw ExtSuperblock.Error(path, ImageError.Truncated, $"inode {inode}: xattr entry at byte {pos} runs past the inode");
            }
            var e = entries[pos..];
            int nameLen = e[0];
            var index = e[1];
            int valueOffset = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(2, 2));
            var valueInode = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(4, 4));
            var valueSize = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(8, 4));
            if (EntryHeader + nameLen > e.Length)
            {
                throw ExtSuperblock.Error(path, ImageError.Truncated, $"inode {inode}: xattr name at byte {pos} runs past the inode");
            }
            if (index == IndexSystem && e.Slice(EntryHeader, nameLen).SequenceEqual("data"u8))
            {
                if (valueInode != 0)
                {
                    throw ExtSuperblock.Error(path, ImageError.Unsupported, $"inode {inode}: inline data kept in xattr inode {valueInode} is not supported");
                }
                if (valueOffset > entries.Length || valueSize > (uint)(entries.Length - valueOffset))
                {
                    throw ExtSuperblock.Error(path, ImageError.PointerOutOfRange, $"inode {inode}: system.data value ({valueSize} bytes at {valueOffset}) runs past the inode");
                }
                return entries.Slice(valueOffset, (int)valueSize);
            }
            pos += (EntryHeader + nameLen + 3) & ~3;
        }
        return [];
    }
}
