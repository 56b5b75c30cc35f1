using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// One inode (kernel inodes.rst): u16 mode, uid/gid (low 16 bits here, high in osd2), u32 size (high
/// half at 0x6C), times, u32 flags, i_block[60] (block map, extent tree root, fast-symlink text or
/// inline data), xattrs after 128 + i_extra_isize. The raw bytes are kept for the in-inode xattrs.
/// </summary>
public sealed class ExtInode
{
    public const int BaseSize = 128;
    public const int BlockBytes = 60;

    public const uint FlagEncrypt = 0x800;
    public const uint FlagIndex = 0x1000;
    public const uint FlagExtents = 0x80000;
    public const uint FlagInlineData = 0x10000000;

    private readonly byte[] _raw;

    private ExtInode(uint number, byte[] raw)
    {
        Number = number;
        _raw = raw;
        var s = raw.AsSpan();
        Mode = BinaryPrimitives.ReadUInt16LittleEndian(s[..2]);
        Uid = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(2, 2)) | ((long)BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(0x78, 2)) << 16);
        Gid = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(0x18, 2)) | ((long)BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(0x7A, 2)) << 16);
        Size = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(4, 4)) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x6C, 4)) << 32);
        Links = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(0x1A, 2));
        Flags = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x20, 4));
        long mtime = BinaryPrimitives.ReadInt32LittleEndian(s.Slice(0x10, 4));
        ExtraSize = raw.Length > BaseSize ? BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(0x80, 2)) : 0;
        // i_mtime_extra (0x88): two epoch bits extend the signed 32-bit seconds past 2038.
        if (ExtraSize >= 12 && BaseSize + ExtraSize <= raw.Length)
        {
            mtime += (long)(BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x88, 4)) & 3) << 32;
        }
        Modified = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(mtime, -62135596800L, 253402300799L));
    }

    public uint Number { get; }
    public int Mode { get; }
    public long Uid { get; }
    public long Gid { get; }
    public ulong Size { get; }
    public int Links { get; }
    public uint Flags { get; }
    public int ExtraSize { get; }
    public DateTimeOffset Modified { get; }

    /// <summary>The 60 bytes of i_block.</summary>
    public ReadOnlySpan<byte> Block => _raw.AsSpan(0x28, BlockBytes);

    public bool Has(uint flag) => (Flags & flag) != 0;

    public FileSystemEntryKind Kind => (Mode & 0xF000) switch
    {
        0x4000 => FileSystemEntryKind.Directory,
        0x8000 => FileSystemEntryKind.File,
        0xA000 => FileSystemEntryKind.Symlink,
        _ => FileSystemEntryKind.Other,
    };

    /// <summary>The in-inode extended attribute area (after 128 + i_extra_isize), empty when there is none.</summary>
    public ReadOnlySpan<byte> XattrArea
    {
        get
        {
            var start = BaseSize + ExtraSize;
            return _raw.Length <= BaseSize || start >= _raw.Length ? [] : _raw.AsSpan(start);
        }
    }

    /// <summary>Parses one inode's bytes (inode size from the superblock). Pure.</summary>
    public static ExtInode Parse(ReadOnlySpan<byte> raw, uint number, string? path)
    {
        if (raw.Length < BaseSize)
        {
            throw ExtSuperblock.Error(path, ImageError.Truncated, $"inode {number}: {raw.Length} bytes, need {BaseSize}");
        }
        var inode = new ExtInode(number, raw.ToArray());
        if (raw.Length > BaseSize && BaseSize + inode.ExtraSize > raw.Length)
        {
            throw ExtSuperblock.Error(path, ImageError.SizeOutOfRange, $"inode {number}: extra size {inode.ExtraSize} runs past the inode's {raw.Length} bytes");
        }
        return inode;
    }
}
