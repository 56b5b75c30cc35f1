namespace BareMetal.ImageStore.Iscsi.Wire;

/// <summary>Why a PDU could not be taken: each maps to a Reject reason or to closing the connection.</summary>
public enum IscsiProtocolError
{
    /// <summary>A data segment longer than we declared we can receive (MaxRecvDataSegmentLength): we cannot trust the framing.</summary>
    DataSegmentTooLong,

    /// <summary>An opcode no initiator may send.</summary>
    UnknownOpcode,

    /// <summary>A field holds a value the PDU type does not allow.</summary>
    InvalidField,

    /// <summary>A PDU that is valid but not in this state (e.g. a SCSI command during login).</summary>
    WrongPhase,

    /// <summary>Login or Text keys that are not key=value pairs.</summary>
    BadTextKeys,

    /// <summary>A key value that is not in the encoding its key needs (a CHAP binary or number).</summary>
    BadKeyValue,
}
