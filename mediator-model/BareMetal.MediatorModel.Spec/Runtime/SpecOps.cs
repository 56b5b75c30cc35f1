using System.Buffers.Binary;

namespace BareMetal.MediatorModel.Spec.Runtime;

/// <summary>
/// The DSL's arithmetic and memory-field helpers used by generated code. Every operation is total:
/// shifts of 64 or more give 0, division by zero gives 0, out-of-range elements read 0, so guest
/// values can never make a generated mediator throw.
/// </summary>
public static class SpecOps
{
    public static ulong Shl(ulong value, ulong count) => count >= 64 ? 0 : value << (int)count;

    public static ulong Shr(ulong value, ulong count) => count >= 64 ? 0 : value >> (int)count;

    public static ulong Div(ulong a, ulong b) => b == 0 ? 0 : a / b;

    public static ulong Mod(ulong a, ulong b) => b == 0 ? 0 : a % b;

    public static ulong Get(ulong[] array, ulong index) => index < (ulong)array.Length ? array[(int)index] : 0;

    public static void Set(ulong[] array, ulong index, ulong value)
    {
        if (index < (ulong)array.Length)
        {
            array[(int)index] = value;
        }
    }

    /// <summary>Bits touched by an access of <paramref name="width"/> bytes starting <paramref name="shift"/> bits into a register.</summary>
    public static ulong LaneMask(int width, int shift)
    {
        var bits = width * 8;
        var mask = bits >= 64 ? ulong.MaxValue : (1UL << bits) - 1;
        return shift >= 64 ? 0 : mask << shift;
    }

    /// <summary>Reads a field of a structure in guest memory: <paramref name="bytes"/> at <paramref name="address"/>, then bits from <paramref name="lo"/>.</summary>
    public static ulong ReadField(IGuestMemory memory, ulong address, int bytes, bool bigEndian, int lo, ulong mask)
    {
        ArgumentNullException.ThrowIfNull(memory);
        Span<byte> buffer = stackalloc byte[8];
        buffer.Clear();
        var part = buffer[..bytes];
        memory.Read(address, part);
        var raw = Load(part, bigEndian);
        return (raw >> lo) & mask;
    }

    /// <summary>Read-modify-write of a field in guest memory (a partial field keeps the other bits of its bytes).</summary>
    public static void WriteField(IGuestMemory memory, ulong address, int bytes, bool bigEndian, int lo, ulong mask, ulong value)
    {
        ArgumentNullException.ThrowIfNull(memory);
        Span<byte> buffer = stackalloc byte[8];
        buffer.Clear();
        var part = buffer[..bytes];
        var whole = lo == 0 && (bytes == 8 ? mask == ulong.MaxValue : mask == (1UL << (bytes * 8)) - 1);
        ulong raw = 0;
        if (!whole)
        {
            memory.Read(address, part);
            raw = Load(part, bigEndian);
        }
        raw = (raw & ~(mask << lo)) | ((value & mask) << lo);
        Store(part, bigEndian, raw);
        memory.Write(address, part);
    }

    private static ulong Load(ReadOnlySpan<byte> b, bool bigEndian) => b.Length switch
    {
        1 => b[0],
        2 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b),
        4 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
        _ => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b),
    };

    private static void Store(Span<byte> b, bool bigEndian, ulong v)
    {
        switch (b.Length)
        {
            case 1:
                b[0] = (byte)v;
                break;
            case 2:
                if (bigEndian)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v);
                }
                break;
            case 4:
                if (bigEndian)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(b, (uint)v);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)v);
                }
                break;
            default:
                if (bigEndian)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(b, v);
                }
                else
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(b, v);
                }
                break;
        }
    }
}
