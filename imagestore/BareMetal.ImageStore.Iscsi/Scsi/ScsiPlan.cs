namespace BareMetal.ImageStore.Iscsi.Scsi;

/// <summary>The outcome of checking one CDB (see <see cref="ScsiPlanKind"/>).</summary>
public readonly record struct ScsiPlan(ScsiPlanKind Kind, ScsiSense Sense = default, byte[]? Data = null, long Offset = 0, int Length = 0)
{
    public static readonly ScsiPlan Good = new(ScsiPlanKind.Good);

    public static ScsiPlan Check(ScsiSense sense) => new(ScsiPlanKind.Check, sense);

    public static ScsiPlan In(byte[] data, int allocationLength) =>
        new(ScsiPlanKind.DataIn, Data: data.Length > allocationLength ? data[..allocationLength] : data);

    /// <summary>Bytes the command itself moves (from the CDB), to compare with the iSCSI expected length.</summary>
    public int TransferLength => Kind switch
    {
        ScsiPlanKind.DataIn => Data!.Length,
        ScsiPlanKind.ReadDisk or ScsiPlanKind.WriteDisk or ScsiPlanKind.DataOutBuffered => Length,
        _ => 0,
    };
}
