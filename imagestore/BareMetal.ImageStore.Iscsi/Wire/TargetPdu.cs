using System.Buffers;
using System.Buffers.Binary;

namespace BareMetal.ImageStore.Iscsi.Wire;

/// <summary>Writes target PDUs: a 48-byte BHS built in place, then the data segment padded to 4 bytes.</summary>
public static class TargetPdu
{
    /// <summary>Clears <paramref name="bhs"/> and sets opcode and flags (byte 1).</summary>
    public static void Init(Span<byte> bhs, IscsiOpcode opcode, byte flags)
    {
        bhs[..IscsiLimits.BhsLength].Clear();
        bhs[0] = (byte)opcode;
        bhs[1] = flags;
    }

    public static void Word(Span<byte> bhs, int offset, uint value) => BinaryPrimitives.WriteUInt32BigEndian(bhs[offset..], value);

    public static void Lun(Span<byte> bhs, ulong lun) => BinaryPrimitives.WriteUInt64BigEndian(bhs[8..], lun);

    /// <summary>Appends the PDU to <paramref name="output"/>, filling in DataSegmentLength.</summary>
    public static void Write(IBufferWriter<byte> output, Span<byte> bhs, ReadOnlySpan<byte> data)
    {
        var span = Reserve(output, bhs, data.Length);
        data.CopyTo(span);
        Commit(output, data.Length);
    }

    /// <summary>Writes the BHS and returns the span where <paramref name="dataLength"/> data bytes go; call <see cref="Commit"/> after filling it.</summary>
    public static Span<byte> Reserve(IBufferWriter<byte> output, Span<byte> bhs, int dataLength)
    {
        if (dataLength > 0xffffff)
        {
            throw new ArgumentOutOfRangeException(nameof(dataLength), "a data segment holds at most 2^24-1 bytes");
        }
        bhs[4] = 0;
        bhs[5] = (byte)(dataLength >> 16);
        bhs[6] = unchecked((byte)(dataLength >> 8));
        bhs[7] = unchecked((byte)dataLength);
        var padded = (dataLength + 3) & ~3;
        var span = output.GetSpan(IscsiLimits.BhsLength + padded);
        bhs[..IscsiLimits.BhsLength].CopyTo(span);
        span.Slice(IscsiLimits.BhsLength + dataLength, padded - dataLength).Clear();
        return span.Slice(IscsiLimits.BhsLength, dataLength);
    }

    public static void Commit(IBufferWriter<byte> output, int dataLength) =>
        output.Advance(IscsiLimits.BhsLength + ((dataLength + 3) & ~3));
}
