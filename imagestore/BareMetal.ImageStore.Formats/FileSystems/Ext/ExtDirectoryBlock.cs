using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// Linear directory entries (kernel directory.rst): u32 inode, u16 rec_len, u8 name_len, u8 file type
/// (or u16 name_len without the filetype feature), name. Entries with inode 0 are unused space, which is
/// also how htree interior blocks and checksum tails hide from linear readers: walking every block
/// linearly lists an htree directory completely.
/// </summary>
public static class ExtDirectoryBlock
{
    public const int HeaderSize = 8;

    /// <summary>
    /// Appends the (name, inode) pairs of one directory block (or inline region) to <paramref name="into"/>,
    /// skipping "." and "..". Pure; refuses entries that overrun the block or name a bad inode.
    /// </summary>
    public static void Parse(ReadOnlySpan<byte> block, bool fileType, uint inodesCount, string where, string? path, List<(string Name, uint Inode)> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var pos = 0;
        while (pos < block.Length)
        {
            if (block.Length - pos < HeaderSize)
            {
                throw ExtSuperblock.Error(path, ImageError.Truncated, $"directory {where}: entry at byte {pos} has {block.Length - pos} bytes, less than a header");
            }
            var e = block[pos..];
            var inode = BinaryPrimitives.ReadUInt32LittleEndian(e[..4]);
            int recLen = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(4, 2));
            int nameLen = fileType ? e[6] : BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(6, 2));
            // rec_len 0 in a 64 KiB block means 65536 (the kernel's EXT4_MAX_REC_LEN encoding).
            if (recLen == 0 && block.Length - pos == 65536)
            {
                recLen = 65536;
            }
            if (recLen < HeaderSize || recLen % 4 != 0 || recLen > block.Length - pos)
            {
                throw ExtSuperblock.Error(path, ImageError.BadHeader, $"directory {where}: entry at byte {pos} has record length {recLen} (block holds {block.Length - pos} more bytes)");
            }
            if (inode != 0)
            {
                if (nameLen == 0 || HeaderSize + nameLen > recLen)
                {
                    throw ExtSuperblock.Error(path, ImageError.BadHeader, $"directory {where}: entry at byte {pos} has a {nameLen}-byte name in a {recLen}-byte record");
                }
                if (inode > inodesCount)
                {
                    throw ExtSuperblock.Error(path, ImageError.PointerOutOfRange, $"directory {where}: entry at byte {pos} names inode {inode}, past the last ({inodesCount})");
                }
                var nameBytes = e.Slice(HeaderSize, nameLen);
                if (nameBytes.IndexOf((byte)'/') >= 0 || nameBytes.IndexOf((byte)0) >= 0)
                {
                    throw ExtSuperblock.Error(path, ImageError.BadHeader, $"directory {where}: entry at byte {pos} has a name holding '/' or NUL");
                }
                var name = Encoding.UTF8.GetString(nameBytes);
                if (name is not ("." or ".."))
                {
                    into.Add((name, inode));
                }
            }
            pos += recLen;
        }
    }
}
