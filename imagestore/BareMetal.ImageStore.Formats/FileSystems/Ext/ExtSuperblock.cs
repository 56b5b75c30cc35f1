using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// The ext2/3/4 superblock: 1024 bytes at byte 1024 of the volume (kernel super.rst). Only what a
/// reader needs, every field checked against the others and our limits before anything is followed.
/// </summary>
public sealed record ExtSuperblock(
    uint InodesCount,
    ulong BlocksCount,
    uint FirstDataBlock,
    int BlockSize,
    uint BlocksPerGroup,
    uint InodesPerGroup,
    int InodeSize,
    uint Compat,
    uint Incompat,
    uint RoCompat,
    byte[] UuidBytes,
    string Label,
    int DescriptorSize,
    uint FirstMetaBg)
{
    /// <summary>Where the superblock sits in the volume, and its size.</summary>
    public const int Offset = 1024;
    public const int Size = 1024;

    /// <summary>s_magic at byte 0x38.</summary>
    public const ushort Magic = 0xEF53;

    /// <summary>Largest block size (64 KiB, log 6): the kernel's limit.</summary>
    public const int MaxLogBlockSize = 6;

    public ulong GroupCount => ((BlocksCount - FirstDataBlock) + BlocksPerGroup - 1) / BlocksPerGroup;

    public bool Has(uint incompat) => (Incompat & incompat) != 0;

    public string Uuid => FormatUuid(UuidBytes);

    /// <summary>blkid's name: ext4 when it uses anything ext3 does not know, ext3 with a journal, else ext2.</summary>
    public string TypeName =>
        (Incompat & ~ExtFeatures.IncompatExt3) != 0 || (RoCompat & ~ExtFeatures.RoCompatExt3) != 0 ? "ext4"
        : (Compat & ExtFeatures.CompatHasJournal) != 0 ? "ext3"
        : "ext2";

    /// <summary>Parses and validates the 1024 superblock bytes of a volume of <paramref name="volumeBytes"/>. Pure.</summary>
    public static ExtSuperblock Parse(ReadOnlySpan<byte> s, long volumeBytes, string? path)
    {
        if (s.Length < Size)
        {
            throw Error(path, ImageError.Truncated, $"superblock at byte {Offset}: {s.Length} bytes, need {Size}");
        }
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(0x38, 2));
        if (magic != Magic)
        {
            throw Error(path, ImageError.BadHeader, $"superblock at byte {Offset}: magic is 0x{magic:x4}, expected 0x{Magic:x4}");
        }
        var logBlock = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x18, 4));
        if (logBlock > MaxLogBlockSize)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"superblock at byte {Offset}: block size 1024 << {logBlock} is larger than 64 KiB");
        }
        var bs = 1024 << (int)logBlock;
        var inodes = BinaryPrimitives.ReadUInt32LittleEndian(s[..4]);
        var compat = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x5C, 4));
        var incompat = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x60, 4));
        var roCompat = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x64, 4));
        var is64 = (incompat & ExtFeatures.Incompat64Bit) != 0;
        var blocks = (ulong)BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x4, 4));
        if (is64)
        {
            blocks |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x150, 4)) << 32;
        }
        var firstData = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x14, 4));
        var bpg = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x20, 4));
        var ipg = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x28, 4));
        var rev = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x4C, 4));
        var inodeSize = rev == 0 ? 128 : BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(0x58, 2));
        var descSize = is64 ? BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(0xFE, 2)) : 32;
        var where = $"superblock at byte {Offset}";
        var bitsPerBlock = (uint)bs * 8;
        if (firstData != (bs == 1024 ? 1u : 0u))
        {
            throw Error(path, ImageError.BadHeader, string.Create(CultureInfo.InvariantCulture, $"{where}: first data block {firstData} does not fit block size {bs}"));
        }
        if (bpg < 8 || bpg > bitsPerBlock || bpg % 8 != 0)
        {
            throw Error(path, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture, $"{where}: {bpg} blocks per group (must be 8..{bitsPerBlock}, a multiple of 8)"));
        }
        if (ipg < 1 || ipg > bitsPerBlock)
        {
            throw Error(path, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture, $"{where}: {ipg} inodes per group (must be 1..{bitsPerBlock})"));
        }
        if (inodeSize < 128 || inodeSize > bs || (inodeSize & (inodeSize - 1)) != 0)
        {
            throw Error(path, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture, $"{where}: inode size {inodeSize} is not a power of two in 128..{bs}"));
        }
        if (descSize < 32 || descSize > 1024 || (descSize & (descSize - 1)) != 0)
        {
            throw Error(path, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture, $"{where}: group descriptor size {descSize} is not a power of two in 32..1024"));
        }
        if (blocks <= firstData)
        {
            throw Error(path, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture, $"{where}: {blocks} blocks is too few"));
        }
        if (blocks > (ulong)(volumeBytes / bs))
        {
            throw Error(path, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"{where}: the file system has {blocks} blocks of {bs} bytes, more than the volume's {volumeBytes} bytes hold"));
        }
        var groups = ((blocks - firstData) + bpg - 1) / bpg;
        if (inodes == 0 || inodes > groups * ipg)
        {
            throw Error(path, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"{where}: inode count {inodes} does not fit {groups} groups of {ipg} inodes"));
        }
        var unsupported = incompat & ~ExtFeatures.IncompatSupported;
        if (unsupported != 0)
        {
            var names = new List<string>();
            for (var bit = 1u; bit != 0; bit <<= 1)
            {
                if ((unsupported & bit) != 0)
                {
                    names.Add(ExtFeatures.IncompatName(bit));
                }
            }
            throw Error(path, ImageError.Unsupported, $"{where}: incompatible feature {string.Join(", ", names)} is not supported");
        }
        var uuid = s.Slice(0x68, 16).ToArray();
        var label = Encoding.UTF8.GetString(TrimNul(s.Slice(0x78, 16)));
        var firstMeta = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(0x104, 4));
        return new ExtSuperblock(inodes, blocks, firstData, bs, bpg, ipg, inodeSize, compat, incompat, roCompat, uuid, label, descSize, firstMeta);
    }

    internal static ReadOnlySpan<byte> TrimNul(ReadOnlySpan<byte> b)
    {
        var n = b.IndexOf((byte)0);
        return n < 0 ? b : b[..n];
    }

    internal static string FormatUuid(ReadOnlySpan<byte> u) =>
        $"{Convert.ToHexStringLower(u[..4])}-{Convert.ToHexStringLower(u.Slice(4, 2))}-{Convert.ToHexStringLower(u.Slice(6, 2))}-{Convert.ToHexStringLower(u.Slice(8, 2))}-{Convert.ToHexStringLower(u.Slice(10, 6))}";

    internal static FileSystemFormatException Error(string? path, ImageError reason, string problem) => new(path, "ext", reason, problem);
}
