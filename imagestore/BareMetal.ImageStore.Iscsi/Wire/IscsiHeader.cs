using System.Buffers.Binary;

namespace BareMetal.ImageStore.Iscsi.Wire;

/// <summary>
/// A Basic Header Segment (RFC 7143 11.2.1), 48 bytes, big-endian. Byte 0: bit 6 = immediate delivery,
/// bits 0-5 = opcode; byte 1 = final bit (0x80) plus opcode flags; byte 4 = TotalAHSLength in 4-byte
/// words; bytes 5-7 = DataSegmentLength; 8-15 = LUN or opcode fields; 16-19 = Initiator Task Tag;
/// 20-47 = opcode fields, read through the named accessors below.
/// </summary>
public readonly record struct IscsiHeader
{
    private readonly byte[] _bytes;

    public IscsiHeader(ReadOnlySpan<byte> bhs)
    {
        if (bhs.Length < IscsiLimits.BhsLength)
        {
            throw new ArgumentException("a BHS is 48 bytes", nameof(bhs));
        }
        _bytes = bhs[..IscsiLimits.BhsLength].ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    public IscsiOpcode Opcode => (IscsiOpcode)(_bytes[0] & 0x3f);

    /// <summary>I bit: the command is delivered at once and does not advance CmdSN.</summary>
    public bool Immediate => (_bytes[0] & 0x40) != 0;

    public byte Flags => _bytes[1];

    /// <summary>F bit: last PDU of a command, sequence or text exchange (T bit in login).</summary>
    public bool Final => (_bytes[1] & 0x80) != 0;

    public byte Byte2 => _bytes[2];

    public byte Byte3 => _bytes[3];

    public int TotalAhsBytes => _bytes[4] * 4;

    public int DataSegmentLength => (_bytes[5] << 16) | (_bytes[6] << 8) | _bytes[7];

    public ulong Lun => BinaryPrimitives.ReadUInt64BigEndian(_bytes.AsSpan(8));

    public uint InitiatorTaskTag => BinaryPrimitives.ReadUInt32BigEndian(_bytes.AsSpan(16));

    public uint Word(int offset) => BinaryPrimitives.ReadUInt32BigEndian(_bytes.AsSpan(offset));

    public ushort Half(int offset) => BinaryPrimitives.ReadUInt16BigEndian(_bytes.AsSpan(offset));

    // SCSI Command (11.3): 20 Expected Data Transfer Length, 24 CmdSN, 28 ExpStatSN, 32-47 CDB.
    public uint ExpectedDataTransferLength => Word(20);

    public uint CmdSN => Word(24);

    public uint ExpStatSN => Word(28);

    public ReadOnlySpan<byte> Cdb => _bytes.AsSpan(32, 16);

    /// <summary>R (0x40) and W (0x20) bits of a SCSI command.</summary>
    public bool ReadBit => (_bytes[1] & 0x40) != 0;

    public bool WriteBit => (_bytes[1] & 0x20) != 0;

    // Data-Out (11.7): 20 Target Transfer Tag, 36 DataSN, 40 Buffer Offset.
    public uint TargetTransferTag => Word(20);

    public uint DataSN => Word(36);

    public uint BufferOffset => Word(40);

    // Login (11.12): byte 1 T C CSG(2) NSG(2); 2 version-max; 3 version-min; 8-13 ISID; 14 TSIH; 20 CID.
    public bool Transit => (_bytes[1] & 0x80) != 0;

    public bool Continue => (_bytes[1] & 0x40) != 0;

    public int CurrentStage => (_bytes[1] >> 2) & 3;

    public int NextStage => _bytes[1] & 3;

    public ReadOnlySpan<byte> Isid => _bytes.AsSpan(8, 6);

    public ushort Tsih => Half(14);

    public ushort Cid => Half(20);

    // Task management (11.5): byte 1 low 7 bits = function; 20 Referenced Task Tag; 32 RefCmdSN.
    public int TaskFunction => _bytes[1] & 0x7f;

    public uint ReferencedTaskTag => Word(20);

    // Logout (11.14): byte 1 low 7 bits = reason.
    public int LogoutReason => _bytes[1] & 0x7f;

    public override string ToString() => $"{Opcode} itt={InitiatorTaskTag:x8} dsl={DataSegmentLength} [{IscsiProtocolException.Show(_bytes)}]";
}
