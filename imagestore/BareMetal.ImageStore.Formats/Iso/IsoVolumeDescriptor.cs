using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>
/// One 2048-byte volume descriptor (ECMA-119 8): u8 type, "CD001", u8 version, then by type:
/// primary (1) / supplementary (2, Joliet when its escape sequences say UCS-2) with the volume size,
/// block size and root directory record; boot record (0) with the El Torito catalog pointer.
/// </summary>
public readonly record struct IsoVolumeDescriptor(
    IsoVolumeDescriptorType Type,
    string VolumeId,
    uint VolumeSpaceSize,
    ushort LogicalBlockSize,
    IsoDirectoryRecord? Root,
    bool IsJoliet,
    string? BootSystemId,
    uint BootCatalogLba)
{
    /// <summary>Volume descriptors are always 2048 bytes, whatever the logical block size.</summary>
    public const int Size = 2048;

    /// <summary>The descriptor set starts at sector 16 (the first 32 KiB are the system area).</summary>
    public const int FirstSector = 16;

    /// <summary>El Torito's boot system identifier in a boot record descriptor.</summary>
    public const string ElToritoId = "EL TORITO SPECIFICATION";

    /// <summary>Parses one descriptor. Pure.</summary>
    public static IsoVolumeDescriptor Parse(ReadOnlySpan<byte> d, string? path)
    {
        if (d.Length < Size)
        {
            throw Error(path, ImageError.Truncated, $"volume descriptor needs {Size} bytes, {d.Length} available");
        }
        if (!d.Slice(1, 5).SequenceEqual("CD001"u8))
        {
            throw Error(path, ImageError.BadHeader, $"volume descriptor identifier is '{Printable(d.Slice(1, 5))}', expected 'CD001'");
        }
        var type = (IsoVolumeDescriptorType)d[0];
        switch (type)
        {
            case IsoVolumeDescriptorType.BootRecord:
                // 7: boot system identifier (32, a-chars padded with NUL); 39: boot identifier (32);
                // 71: El Torito's absolute sector of the boot catalog (u32 LE).
                return new IsoVolumeDescriptor(type, "", 0, 0, null, false,
                    Encoding.ASCII.GetString(d.Slice(7, 32)).TrimEnd('\0', ' '), BinaryPrimitives.ReadUInt32LittleEndian(d[71..]));
            case IsoVolumeDescriptorType.Primary:
            case IsoVolumeDescriptorType.Supplementary:
                // 88: escape sequences; Joliet levels 1-3 are "%/@", "%/C", "%/E" (UCS-2 names).
                var esc = d.Slice(88, 32);
                var joliet = type == IsoVolumeDescriptorType.Supplementary && esc[0] == '%' && esc[1] == '/' &&
                             (esc[2] == '@' || esc[2] == 'C' || esc[2] == 'E');
                // 128: logical block size (both-endian u16, LE half first); 80: volume space size in blocks.
                var blockSize = BinaryPrimitives.ReadUInt16LittleEndian(d[128..]);
                if (blockSize is not (512 or 1024 or 2048))
                {
                    throw Error(path, ImageError.SizeOutOfRange, $"logical block size {blockSize} (512, 1024 or 2048 allowed)");
                }
                var volumeId = joliet
                    ? Encoding.BigEndianUnicode.GetString(d.Slice(40, 32))
                    : Encoding.ASCII.GetString(d.Slice(40, 32));
                // 156: the root directory record (34 bytes).
                var root = IsoDirectoryRecord.Parse(d.Slice(156, IsoDirectoryRecord.MinLength), joliet, 0, path);
                if ((root.Flags & IsoFileFlags.Directory) == 0)
                {
                    throw Error(path, ImageError.BadHeader, "root directory record is not flagged as a directory");
                }
                return new IsoVolumeDescriptor(type, volumeId.TrimEnd(' ', '\0'), BinaryPrimitives.ReadUInt32LittleEndian(d[80..]),
                    blockSize, root, joliet, null, 0);
            default:
                return new IsoVolumeDescriptor(type, "", 0, 0, null, false, null, 0);
        }
    }

    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (var b in bytes)
        {
            sb.Append(b is >= 0x20 and < 0x7f ? (char)b : $"\\x{b:x2}");
        }
        return sb.ToString();
    }

    private static ImageFormatException Error(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Iso, reason, problem);
}
