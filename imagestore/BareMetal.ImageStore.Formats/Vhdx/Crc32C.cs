using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of every VHDX header, region table and log entry. Slicing-by-8
/// over eight 256-entry tables: System.IO.Hashing is not part of the shared framework, and a
/// byte-at-a-time loop would make verifying a large log noticeably slow. Where the CPU has a CRC-32C
/// instruction (SSE4.2 on x86-64, the CRC extension on Arm64) that is used instead: same polynomial,
/// same reflected bit order, eight bytes per instruction.
/// </summary>
public static class Crc32C
{
    /// <summary>The Castagnoli polynomial 0x1EDC6F41, bit-reversed for the LSB-first algorithm.</summary>
    private const uint ReversedPolynomial = 0x82F63B78;

    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ ReversedPolynomial : c >> 1;
            }
            t[i] = c;
        }
        for (var i = 0; i < 256; i++)
        {
            for (var s = 1; s < 8; s++)
            {
                var prev = t[((s - 1) * 256) + i];
                t[(s * 256) + i] = (prev >> 8) ^ t[prev & 0xff];
            }
        }
        return t;
    }

    /// <summary>CRC-32C of <paramref name="data"/> (initial value all ones, final complement).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFF, data);

    /// <summary>
    /// CRC-32C of <paramref name="data"/> as if its 4-byte field at <paramref name="zeroedFieldOffset"/>
    /// held zeros: how VHDX checksums cover a structure that contains its own checksum.
    /// </summary>
    public static uint ComputeWithZeroedField(ReadOnlySpan<byte> data, int zeroedFieldOffset)
    {
        ReadOnlySpan<byte> zeros = [0, 0, 0, 0];
        var state = Update(0xFFFFFFFF, data[..zeroedFieldOffset]);
        state = Update(state, zeros);
        return ~Update(state, data[(zeroedFieldOffset + 4)..]);
    }

    /// <summary>Continues a raw (not complemented) CRC state over more bytes.</summary>
    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong crc = state;
            while (data.Length >= 8)
            {
                crc = Sse42.X64.Crc32(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            var c = (uint)crc;
            foreach (var b in data)
            {
                c = Sse42.Crc32(c, b);
            }
            return c;
        }
        if (Crc32.Arm64.IsSupported)
        {
            var c = state;
            while (data.Length >= 8)
            {
                c = Crc32.Arm64.ComputeCrc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            foreach (var b in data)
            {
                c = Crc32.ComputeCrc32C(c, b);
            }
            return c;
        }
        return UpdateTable(state, data);
    }

    /// <summary>The portable slicing-by-8 path (also what tests compare the instruction path against).</summary>
    internal static uint UpdateTable(uint state, ReadOnlySpan<byte> data)
    {
        var t = Table;
        var crc = state;
        while (data.Length >= 8)
        {
            var lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (lo & 0xff)] ^ t[(6 * 256) + ((lo >> 8) & 0xff)] ^
                  t[(5 * 256) + ((lo >> 16) & 0xff)] ^ t[(4 * 256) + (lo >> 24)] ^
                  t[(3 * 256) + (hi & 0xff)] ^ t[(2 * 256) + ((hi >> 8) & 0xff)] ^
                  t[256 + ((hi >> 16) & 0xff)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (var b in data)
        {
            crc = (crc >> 8) ^ t[(crc ^ b) & 0xff];
        }
        return crc;
    }
}
