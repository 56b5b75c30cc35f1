using System.Buffers.Binary;
using System.Numerics;

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// The metadata region: a 64 KiB table of items (by GUID) followed by the items themselves. Offsets
/// are relative to the region's start; every known item is checked for size and range.
/// </summary>
public sealed record VhdxMetadata
{
    /// <summary>"metadata": the table signature.</summary>
    public static ReadOnlySpan<byte> Signature => "metadata"u8;

    public const int TableSize = 64 * 1024;

    public const int MaxEntries = 2047;

    private const int HeaderBytes = 32;

    private const int EntryBytes = 32;

    /// <summary>MS-VHDX: block sizes from 1 MiB to 256 MiB, powers of two.</summary>
    public const uint MinBlockSize = 1 << 20;

    public const uint MaxBlockSize = 256 << 20;

    /// <summary>MS-VHDX: a virtual disk is at most 64 TiB.</summary>
    public const long MaxVirtualDiskSize = 64L << 40;

    /// <summary>Item flag: a reader that does not know the item must refuse the file.</summary>
    private const uint IsRequiredFlag = 4;

    public required uint BlockSize { get; init; }
    public required bool LeaveBlocksAllocated { get; init; }
    public required bool HasParent { get; init; }
    public required long VirtualDiskSize { get; init; }
    public required uint LogicalSectorSize { get; init; }
    public required uint PhysicalSectorSize { get; init; }
    public required Guid Page83 { get; init; }
    public VhdxParentLocator? ParentLocator { get; init; }

    /// <summary>Payload blocks described by one sector bitmap block: 2^23 sectors' worth.</summary>
    public long ChunkRatio => (1L << 23) * LogicalSectorSize / BlockSize;

    public long DataBlocks => (VirtualDiskSize + BlockSize - 1) / BlockSize;

    /// <summary>
    /// BAT entries: payload entries with a sector bitmap entry after every ChunkRatio of them (MS-VHDX
    /// 2.5): a differencing file needs every bitmap entry, others only those between payload entries.
    /// </summary>
    public long BatEntries => HasParent
        ? ((DataBlocks + ChunkRatio - 1) / ChunkRatio) * (ChunkRatio + 1)
        : DataBlocks + ((DataBlocks - 1) / ChunkRatio);

    /// <summary>
    /// How many bytes of the region the table's items reach (at least the table itself, at most the
    /// region): Open reads only that much instead of the whole (usually 1 MiB) region.
    /// </summary>
    public static int RequiredLength(ReadOnlySpan<byte> table, long regionLength)
    {
        long need = TableSize;
        if (table.Length >= TableSize && table.StartsWith(Signature))
        {
            var count = Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(table[10..]), MaxEntries);
            for (var i = 0; i < count; i++)
            {
                var e = table.Slice(HeaderBytes + (i * EntryBytes), EntryBytes);
                var end = (long)BinaryPrimitives.ReadUInt32LittleEndian(e[16..]) + BinaryPrimitives.ReadUInt32LittleEndian(e[20..]);
                need = Math.Max(need, end);
            }
        }
        return (int)Math.Min(need, regionLength);
    }

    /// <summary>Decodes the region (the table plus at least every item it points to).</summary>
    public static VhdxMetadata Parse(ReadOnlySpan<byte> region, string? path)
    {
        if (region.Length < TableSize || !region.StartsWith(Signature))
        {
            throw Fail(path, ImageError.BadHeader, "no 'metadata' signature at the start of the metadata region");
        }
        var count = BinaryPrimitives.ReadUInt16LittleEndian(region[10..]);
        if (count > MaxEntries)
        {
            throw Fail(path, ImageError.SizeOutOfRange, $"metadata table claims {count} entries (at most {MaxEntries})");
        }
        var items = new Dictionary<Guid, (int Offset, int Length)>();
        for (var i = 0; i < count; i++)
        {
            var e = region.Slice(HeaderBytes + (i * EntryBytes), EntryBytes);
            var id = new Guid(e[..16]);
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(e[20..]);
            var flags = BinaryPrimitives.ReadUInt32LittleEndian(e[24..]);
            if (length > 0 && (offset < TableSize || offset > (uint)region.Length || length > region.Length - (long)offset))
            {
                throw Fail(path, ImageError.PointerOutOfRange,
                    $"metadata item {id} at {offset} of {length} bytes lies outside the {region.Length}-byte metadata region");
            }
            if (!IsKnown(id))
            {
                if ((flags & IsRequiredFlag) != 0)
                {
                    throw Fail(path, ImageError.Unsupported, $"required metadata item {id} is not one we know");
                }
                continue;
            }
            // An empty item's offset means nothing (and may be anything): keep it as 0.
            if (!items.TryAdd(id, length == 0 ? (0, 0) : ((int)offset, (int)length)))
            {
                throw Fail(path, ImageError.BadHeader, $"metadata item {id} is listed twice");
            }
        }
        var parameters = Item(region, items, VhdxKnownIds.FileParameters, 8, "file parameters", path);
        var blockSize = BinaryPrimitives.ReadUInt32LittleEndian(parameters);
        var bits = BinaryPrimitives.ReadUInt32LittleEndian(parameters[4..]);
        var size = BinaryPrimitives.ReadUInt64LittleEndian(Item(region, items, VhdxKnownIds.VirtualDiskSize, 8, "virtual disk size", path));
        var logical = BinaryPrimitives.ReadUInt32LittleEndian(Item(region, items, VhdxKnownIds.LogicalSectorSize, 4, "logical sector size", path));
        var physical = BinaryPrimitives.ReadUInt32LittleEndian(Item(region, items, VhdxKnownIds.PhysicalSectorSize, 4, "physical sector size", path));
        var page83 = new Guid(Item(region, items, VhdxKnownIds.Page83Data, 16, "page 83 data", path)[..16]);
        if (blockSize < MinBlockSize || blockSize > MaxBlockSize || !BitOperations.IsPow2(blockSize))
        {
            throw Fail(path, ImageError.SizeOutOfRange, $"block size {blockSize} is not a power of two from 1 MiB to 256 MiB");
        }
        if (logical is not (512 or 4096) || physical is not (512 or 4096))
        {
            throw Fail(path, ImageError.SizeOutOfRange, $"sector sizes {logical}/{physical} are not 512 or 4096");
        }
        if (size == 0 || size > MaxVirtualDiskSize || size % logical != 0)
        {
            throw Fail(path, ImageError.SizeOutOfRange,
                $"virtual disk size {size} is not a non-zero multiple of {logical} up to 64 TiB");
        }
        var hasParent = (bits & 2) != 0;
        VhdxParentLocator? locator = null;
        if (hasParent)
        {
            if (!items.ContainsKey(VhdxKnownIds.ParentLocator))
            {
                throw Fail(path, ImageError.BadHeader, "differencing disk has no parent locator");
            }
            locator = VhdxParentLocator.Parse(Item(region, items, VhdxKnownIds.ParentLocator, 0, "parent locator", path), path);
        }
        return new VhdxMetadata
        {
            BlockSize = blockSize,
            LeaveBlocksAllocated = (bits & 1) != 0,
            HasParent = hasParent,
            VirtualDiskSize = (long)size,
            LogicalSectorSize = logical,
            PhysicalSectorSize = physical,
            Page83 = page83,
            ParentLocator = locator,
        };
    }

    private static bool IsKnown(Guid id) =>
        id == VhdxKnownIds.FileParameters || id == VhdxKnownIds.VirtualDiskSize || id == VhdxKnownIds.Page83Data ||
        id == VhdxKnownIds.LogicalSectorSize || id == VhdxKnownIds.PhysicalSectorSize || id == VhdxKnownIds.ParentLocator;

    /// <summary>The bytes of a required item, at least <paramref name="minLength"/> long.</summary>
    private static ReadOnlySpan<byte> Item(ReadOnlySpan<byte> region, Dictionary<Guid, (int Offset, int Length)> items, Guid id, int minLength, string name, string? path)
    {
        if (!items.TryGetValue(id, out var item))
        {
            throw Fail(path, ImageError.BadHeader, $"required metadata item '{name}' is missing");
        }
        if (item.Length < minLength || item.Length == 0)
        {
            throw Fail(path, ImageError.BadHeader, $"metadata item '{name}' is {item.Length} bytes, needs at least {Math.Max(1, minLength)}");
        }
        return region.Slice(item.Offset, item.Length);
    }

    private static ImageFormatException Fail(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Vhdx, reason, problem);
}
