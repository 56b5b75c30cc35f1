using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>
/// The block allocation table of a dynamic or differencing VHD: one big-endian u32 per block, the
/// sector number (offset / 512) of the block's sector bitmap, or all ones when the block is absent.
/// </summary>
public static class VhdBat
{
    /// <summary>BAT value of a block that is not allocated.</summary>
    public const uint Unallocated = 0xFFFFFFFF;

    /// <summary>Decodes <paramref name="count"/> entries from <paramref name="raw"/> (count * 4 bytes).</summary>
    public static uint[] Parse(ReadOnlySpan<byte> raw, int count)
    {
        var bat = new uint[count];
        for (var i = 0; i < count; i++)
        {
            bat[i] = BinaryPrimitives.ReadUInt32BigEndian(raw[(i * 4)..]);
        }
        return bat;
    }

    /// <summary>
    /// The first entry whose bitmap + block does not fit in a file of <paramref name="fileLength"/> bytes
    /// (qemu refuses such images as truncated), or -1 when all fit.
    /// </summary>
    public static int FirstOutOfRange(ReadOnlySpan<uint> bat, long bitmapBytes, long blockSize, long fileLength)
    {
        for (var i = 0; i < bat.Length; i++)
        {
            if (bat[i] != Unallocated && (bat[i] * 512L) + bitmapBytes + blockSize > fileLength)
            {
                return i;
            }
        }
        return -1;
    }
}
