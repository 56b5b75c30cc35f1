using System.Buffers;

namespace BareMetal.ImageStore.Iscsi.Wire;

/// <summary>
/// Frames PDUs: BHS, AHS (TotalAHSLength words), data segment padded to 4 bytes. Digests are never
/// negotiated (we answer HeaderDigest=None, DataDigest=None), so there are none to read.
/// </summary>
public static class IscsiCodec
{
    /// <summary>
    /// Takes one whole PDU from <paramref name="buffer"/>. False (and nothing consumed) when more bytes
    /// are needed. A data segment longer than <paramref name="maxDataSegment"/> throws before its bytes
    /// are awaited: a lying length must not make us buffer 16 MiB.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxDataSegment, out IscsiHeader header, out ReadOnlySequence<byte> data)
    {
        header = default;
        data = default;
        if (buffer.Length < IscsiLimits.BhsLength)
        {
            return false;
        }
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        buffer.Slice(0, IscsiLimits.BhsLength).CopyTo(bhs);
        var h = new IscsiHeader(bhs);
        Validate(h, maxDataSegment);
        var padded = (h.DataSegmentLength + 3) & ~3;
        long total = IscsiLimits.BhsLength + h.TotalAhsBytes + padded;
        if (buffer.Length < total)
        {
            return false;
        }
        header = h;
        data = buffer.Slice(IscsiLimits.BhsLength + h.TotalAhsBytes, h.DataSegmentLength);
        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>Checks what the framing depends on; everything else is the session's business.</summary>
    public static void Validate(in IscsiHeader h, int maxDataSegment)
    {
        switch (h.Opcode)
        {
            case IscsiOpcode.NopOut or IscsiOpcode.ScsiCommand or IscsiOpcode.TaskManagementRequest or IscsiOpcode.LoginRequest
                or IscsiOpcode.TextRequest or IscsiOpcode.DataOut or IscsiOpcode.LogoutRequest or IscsiOpcode.Snack:
                break;
            default:
                throw new IscsiProtocolException(IscsiProtocolError.UnknownOpcode,
                    $"opcode 0x{(int)h.Opcode:x2} is not an initiator opcode: {IscsiProtocolException.Show(h.Bytes)}");
        }
        if (h.DataSegmentLength > maxDataSegment)
        {
            throw new IscsiProtocolException(IscsiProtocolError.DataSegmentTooLong,
                $"{h.Opcode} data segment of {h.DataSegmentLength} bytes exceeds our MaxRecvDataSegmentLength {maxDataSegment}");
        }
    }
}
