using BareMetal.ImageStore.Iscsi.Scsi;

namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>A SCSI command waiting for Data-Out: immediate data, unsolicited bursts, then R2T-solicited bursts.</summary>
internal sealed class WriteTask
{
    public required uint Itt { get; init; }

    public required ulong Lun { get; init; }

    public required byte[] Cdb { get; init; }

    public required ScsiPlan Plan { get; init; }

    /// <summary>The iSCSI Expected Data Transfer Length (may exceed what the CDB needs: underflow).</summary>
    public required uint Expected { get; init; }

    /// <summary>Bytes the CDB needs: Data-Out beyond this is read and dropped.</summary>
    public int Needed => Plan.Length;

    /// <summary>Parameter data of a buffered command (UNMAP, WRITE SAME).</summary>
    public byte[]? Buffer { get; init; }

    /// <summary>Next buffer offset we expect (DataPDUInOrder=Yes).</summary>
    public long NextOffset { get; set; }

    /// <summary>Unsolicited Data-Out still to come (the command's F bit was clear).</summary>
    public bool UnsolicitedOpen { get; set; }

    /// <summary>The outstanding R2T's tag, or ReservedTag when none is out.</summary>
    public uint ActiveTtt { get; set; } = Wire.IscsiLimits.ReservedTag;

    /// <summary>End offset of the outstanding R2T's burst.</summary>
    public long BurstEnd { get; set; }

    public uint R2TSN { get; set; }

    /// <summary>A write to the disk failed: keep taking data, then answer MEDIUM ERROR.</summary>
    public bool Failed { get; set; }
}
