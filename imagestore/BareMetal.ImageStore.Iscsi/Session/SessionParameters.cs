namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>Operational parameters as negotiated at login (RFC 7143 13), with the RFC defaults.</summary>
public sealed record SessionParameters
{
    /// <summary>The initiator's MaxRecvDataSegmentLength: our Data-In, Text and NOP-In segments stay within it.</summary>
    public int InitiatorMaxRecvDataSegmentLength { get; set; } = Wire.IscsiLimits.DefaultInitiatorRecvDataSegmentLength;

    public int MaxBurstLength { get; set; } = 262144;

    public int FirstBurstLength { get; set; } = 65536;

    /// <summary>Yes: every write waits for our R2T (iPXE). No: unsolicited Data-Out may follow the command (Linux, libiscsi).</summary>
    public bool InitialR2T { get; set; } = true;

    /// <summary>Yes: the command PDU may carry the first data (Linux, libiscsi). iPXE says No.</summary>
    public bool ImmediateData { get; set; } = true;
}
