namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>A 64-bit little-endian BAT entry: state in bits 0-2, file offset in MiB in bits 20-63.</summary>
public readonly record struct VhdxBatEntry(ulong Raw)
{
    public VhdxBlockState State => (VhdxBlockState)(Raw & 7);

    /// <summary>Byte offset of the block in the file (always a multiple of 1 MiB).</summary>
    public long FileOffset => (long)(Raw >> 20) << 20;

    public bool IsKnownState => State is VhdxBlockState.NotPresent or VhdxBlockState.Undefined or VhdxBlockState.Zero
        or VhdxBlockState.Unmapped or VhdxBlockState.FullyPresent or VhdxBlockState.PartiallyPresent;
}
