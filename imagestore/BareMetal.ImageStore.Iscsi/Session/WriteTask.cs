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

    /// <summary>
    /// Bytes we take before answering: what the CDB needs, or less when the initiator's expected length is
    /// shorter (overflow; libiscsi's residual tests want those bytes written and GOOD). Beyond it, Data-Out is dropped.
    /// </summary>
    public required int Needed { get; init; }

    /// <summary>Whole blocks of <see cref="Needed"/>: a partial block is never written.</summary>
    public int Writable => Needed / ScsiLogicalUnit.BlockSize * ScsiLogicalUnit.BlockSize;

    /// <summary>DataSN the next Data-Out must carry (restarts at 0 with every R2T).</summary>
    public uint ExpectedDataSN { get; set; }

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
