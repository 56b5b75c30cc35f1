using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>
/// The 1024-byte dynamic disk header ("cxsparse"), big-endian: where the BAT is, how big a block
/// is, and for differencing disks who the parent is.
/// </summary>
public sealed record VhdDynamicHeader
{
    public const int Size = 1024;

    /// <summary>Offset of the 4-byte checksum inside the header.</summary>
    public const int ChecksumOffset = 36;

    /// <summary>Where the eight parent locator entries start.</summary>
    private const int LocatorsOffset = 576;

    private const int LocatorCount = 8;

    /// <summary>The parent's name: 512 bytes of UTF-16 big-endian.</summary>
    private const int ParentNameOffset = 64;

    private const int ParentNameBytes = 512;

    /// <summary>"cxsparse": the header cookie.</summary>
    public static ReadOnlySpan<byte> Cookie => "cxsparse"u8;

    public required ulong TableOffset { get; init; }
    public required uint HeaderVersion { get; init; }
    public required uint MaxTableEntries { get; init; }
    public required uint BlockSize { get; init; }
    public required uint StoredChecksum { get; init; }
    public required uint ComputedChecksum { get; init; }
    public required Guid ParentUniqueId { get; init; }
    public required uint ParentTimestamp { get; init; }
    public required string ParentName { get; init; }
    public required IReadOnlyList<VhdParentLocator> Locators { get; init; }

    public bool ChecksumValid => StoredChecksum == ComputedChecksum;

    /// <summary>Bytes of sector bitmap in front of every block: one bit per sector, padded to whole sectors.</summary>
    public int BitmapBytes => (int)((((BlockSize / 512) + 7) / 8 + 511) & ~511u);

    /// <summary>Decodes a header; null when the cookie is missing. The caller checks the checksum.</summary>
    public static VhdDynamicHeader? Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < Size || !data.StartsWith(Cookie))
        {
            return null;
        }
        var locators = new VhdParentLocator[LocatorCount];
        for (var i = 0; i < LocatorCount; i++)
        {
            locators[i] = VhdParentLocator.Parse(data.Slice(LocatorsOffset + (i * VhdParentLocator.Size), VhdParentLocator.Size));
        }
        var name = Encoding.BigEndianUnicode.GetString(data.Slice(ParentNameOffset, ParentNameBytes));
        var nul = name.IndexOf('\0', StringComparison.Ordinal);
        return new VhdDynamicHeader
        {
            TableOffset = BinaryPrimitives.ReadUInt64BigEndian(data[16..]),
            HeaderVersion = BinaryPrimitives.ReadUInt32BigEndian(data[24..]),
            MaxTableEntries = BinaryPrimitives.ReadUInt32BigEndian(data[28..]),
            BlockSize = BinaryPrimitives.ReadUInt32BigEndian(data[32..]),
            StoredChecksum = BinaryPrimitives.ReadUInt32BigEndian(data[ChecksumOffset..]),
            ComputedChecksum = VhdChecksum.Compute(data[..Size], ChecksumOffset),
            ParentUniqueId = new Guid(data.Slice(40, 16), bigEndian: true),
            ParentTimestamp = BinaryPrimitives.ReadUInt32BigEndian(data[56..]),
            ParentName = nul >= 0 ? name[..nul] : name,
            Locators = locators,
        };
    }
}
