using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>
/// A stream-optimized marker ("Virtual Disk Format 5.0", "Stream-Optimized Compressed Sparse Extents").
/// A grain marker is u64 lba + u32 compressed size, followed at once by the deflated grain. A metadata
/// marker has size 0 and fills a sector: u64 number of sectors that follow, u32 0, u32 type.
/// </summary>
public readonly record struct VmdkMarker(ulong Value, uint Size, VmdkMarkerType Type)
{
    /// <summary>Bytes before a grain's compressed data: lba (8) + size (4).</summary>
    public const int GrainHeaderSize = 12;

    /// <summary>Bytes a metadata marker occupies: lba (8) + size (4) + type (4), padded to a sector.</summary>
    public const int MetadataSize = 16;

    public bool IsGrain => Size != 0;

    /// <summary>Parses the first bytes of a marker. Pure.</summary>
    public static VmdkMarker Parse(ReadOnlySpan<byte> bytes, string? path)
    {
        if (bytes.Length < MetadataSize)
        {
            throw new ImageFormatException(path, ImageFormat.Vmdk, ImageError.Truncated,
                $"stream marker needs {MetadataSize} bytes, {bytes.Length} available");
        }
        var value = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        var type = size != 0 ? VmdkMarkerType.Grain : (VmdkMarkerType)BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        return new VmdkMarker(value, size, type);
    }
}
