namespace BareMetal.ImageStore.Iscsi.Wire;

/// <summary>Every size we accept or declare, named once.</summary>
public static class IscsiLimits
{
    /// <summary>Basic Header Segment: every PDU starts with these 48 bytes.</summary>
    public const int BhsLength = 48;

    /// <summary>What we declare as our MaxRecvDataSegmentLength: the longest data segment we read.</summary>
    public const int MaxRecvDataSegmentLength = 256 * 1024;

    /// <summary>
    /// Before MaxRecvDataSegmentLength is negotiated (login), the RFC default is 8192; we still take up to
    /// our declared value, because some initiators send keys before reading ours.
    /// </summary>
    public const int LoginDataSegmentLimit = MaxRecvDataSegmentLength;

    /// <summary>The RFC default of the initiator's MaxRecvDataSegmentLength, until it declares one.</summary>
    public const int DefaultInitiatorRecvDataSegmentLength = 8192;

    /// <summary>Largest MaxBurstLength / FirstBurstLength the RFC allows (2^24 - 1).</summary>
    public const int MaxBurstLength = (1 << 24) - 1;

    /// <summary>Our MaxBurstLength offer: 1 MiB per R2T or Data-In sequence.</summary>
    public const int OurMaxBurstLength = 1024 * 1024;

    /// <summary>Our FirstBurstLength offer (unsolicited data): one full data segment.</summary>
    public const int OurFirstBurstLength = 256 * 1024;

    /// <summary>Longest login/text key or value set we accumulate across continued PDUs.</summary>
    public const int MaxTextLength = 64 * 1024;

    /// <summary>How many commands beyond ExpCmdSN an initiator may queue (MaxCmdSN - ExpCmdSN + 1).</summary>
    public const uint CommandWindow = 64;

    /// <summary>Largest SCSI transfer per command: 8 MiB (advertised in VPD B0 as MAXIMUM TRANSFER LENGTH).</summary>
    public const int MaxTransferBytes = 8 * 1024 * 1024;

    /// <summary>The value meaning "no tag" in ITT / TTT fields.</summary>
    public const uint ReservedTag = 0xffffffff;
}
