using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// A 32-byte log descriptor: "zero" (ZeroLength bytes of zeros at FileOffset) or "desc" (one 4 KiB
/// data sector whose first 8 and last 4 bytes are kept here, the rest in the matching data sector).
/// </summary>
public readonly record struct VhdxLogDescriptor(bool IsZero, ulong ZeroLength, ulong LeadingBytes, uint TrailingBytes, ulong FileOffset, ulong SequenceNumber)
{
    public const int Size = 32;

    /// <summary>"zero" as a little-endian u32.</summary>
    public const uint ZeroSignature = 0x6F72657A;

    /// <summary>"desc" as a little-endian u32.</summary>
    public const uint DataSignature = 0x63736564;

    /// <summary>Decodes a descriptor; null when its signature is neither "zero" nor "desc".</summary>
    public static VhdxLogDescriptor? Parse(ReadOnlySpan<byte> d)
    {
        var signature = BinaryPrimitives.ReadUInt32LittleEndian(d);
        if (signature is not (ZeroSignature or DataSignature))
        {
            return null;
        }
        var isZero = signature == ZeroSignature;
        return new VhdxLogDescriptor(
            isZero,
            isZero ? BinaryPrimitives.ReadUInt64LittleEndian(d[8..]) : 0,
            isZero ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(d[8..]),
            isZero ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(d[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(d[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(d[24..]));
    }
}
