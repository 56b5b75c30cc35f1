namespace BareMetal.ImageStore.Iscsi.Scsi;

/// <summary>What a SCSI command needs from the transport after the CDB was checked.</summary>
public enum ScsiPlanKind
{
    /// <summary>Done, status GOOD, no data.</summary>
    Good,

    /// <summary>Done, CHECK CONDITION with <see cref="ScsiPlan.Sense"/>.</summary>
    Check,

    /// <summary>Done, GOOD, send <see cref="ScsiPlan.Data"/> to the initiator.</summary>
    DataIn,

    /// <summary>Send <see cref="ScsiPlan.Length"/> disk bytes from <see cref="ScsiPlan.Offset"/>.</summary>
    ReadDisk,

    /// <summary>Receive <see cref="ScsiPlan.Length"/> bytes and write them to the disk at <see cref="ScsiPlan.Offset"/>.</summary>
    WriteDisk,

    /// <summary>Receive <see cref="ScsiPlan.Length"/> bytes of parameter data, then call <see cref="ScsiLogicalUnit.Complete"/>.</summary>
    DataOutBuffered,
}
