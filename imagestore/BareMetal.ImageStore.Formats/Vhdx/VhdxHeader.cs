using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// One of the two 4 KiB VHDX headers (at 64 KiB and 128 KiB), little-endian, protected by CRC-32C.
/// The valid one with the higher sequence number is current.
/// </summary>
public sealed record VhdxHeader
{
    public const int Size = 4096;

    public const long Header1Offset = 64 * 1024;

    public const long Header2Offset = 128 * 1024;

    /// <summary>"head" read as a little-endian u32.</summary>
    public const uint Signature = 0x64616568;

    /// <summary>The log is 1 MiB aligned and sized in whole MiB.</summary>
    public const long LogAlignment = 1 << 20;

    public required ulong SequenceNumber { get; init; }
    public required Guid FileWriteGuid { get; init; }
    public required Guid DataWriteGuid { get; init; }
    /// <summary>Non-zero when the log may hold entries that still need replaying.</summary>
    public required Guid LogGuid { get; init; }
    public required ushort LogVersion { get; init; }
    public required ushort Version { get; init; }
    public required uint LogLength { get; init; }
    public required ulong LogOffset { get; init; }

    /// <summary>Why a 4 KiB block is not a usable header, or null when it is.</summary>
    public static string? Problem(ReadOnlySpan<byte> block)
    {
        if (block.Length < Size || BinaryPrimitives.ReadUInt32LittleEndian(block) != Signature)
        {
            return "no 'head' signature";
        }
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
        var computed = Crc32C.ComputeWithZeroedField(block[..Size], 4);
        if (stored != computed)
        {
            return $"CRC-32C mismatch (stored 0x{stored:x8}, computed 0x{computed:x8})";
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(block[66..]);
        return version != 1 ? $"version {version} is not 1" : null;
    }

    /// <summary>Decodes a header block already accepted by <see cref="Problem"/>.</summary>
    public static VhdxHeader Parse(ReadOnlySpan<byte> block) => new()
    {
        SequenceNumber = BinaryPrimitives.ReadUInt64LittleEndian(block[8..]),
        FileWriteGuid = new Guid(block.Slice(16, 16)),
        DataWriteGuid = new Guid(block.Slice(32, 16)),
        LogGuid = new Guid(block.Slice(48, 16)),
        LogVersion = BinaryPrimitives.ReadUInt16LittleEndian(block[64..]),
        Version = BinaryPrimitives.ReadUInt16LittleEndian(block[66..]),
        LogLength = BinaryPrimitives.ReadUInt32LittleEndian(block[68..]),
        LogOffset = BinaryPrimitives.ReadUInt64LittleEndian(block[72..]),
    };

    /// <summary>
    /// Picks the current header from the two copies (qemu's rule: the only valid one, else the higher
    /// sequence number; equal numbers only when both copies are identical, as disk2vhd writes them).
    /// Returns null and a reason when neither is usable.
    /// </summary>
    public static (VhdxHeader? Header, string Problem) Choose(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var p1 = Problem(first);
        var p2 = Problem(second);
        if (p1 is not null && p2 is not null)
        {
            return (null, $"no valid header (header 1: {p1}; header 2: {p2})");
        }
        if (p2 is not null)
        {
            return (Parse(first), "");
        }
        if (p1 is not null)
        {
            return (Parse(second), "");
        }
        var h1 = Parse(first);
        var h2 = Parse(second);
        if (h1.SequenceNumber != h2.SequenceNumber)
        {
            return (h1.SequenceNumber > h2.SequenceNumber ? h1 : h2, "");
        }
        return h1 == h2 ? (h1, "") : (null, $"both headers carry sequence number {h1.SequenceNumber} but differ");
    }
}
