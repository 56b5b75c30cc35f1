namespace BareMetal.ImageStore.Formats;

/// <summary>
/// One entry of an allocation map, with the meaning of `qemu-img map --output=json`:
/// Depth = the layer of the backing chain that answered (0 = top); Present = some layer holds it;
/// Zero = reads as zeros; Data = bytes are stored; Offset = host offset when the bytes can be read raw.
/// </summary>
public readonly record struct DiskExtent(long Start, long Length, int Depth, bool Present, bool Zero, bool Data, long? Offset, bool Compressed = false)
{
    public long End => Start + Length;

    /// <summary>True when <paramref name="next"/> continues this extent with the same meaning (qemu merges these).</summary>
    public bool CanMerge(in DiskExtent next) =>
        next.Start == End && next.Depth == Depth && next.Present == Present && next.Zero == Zero &&
        next.Data == Data && next.Compressed == Compressed &&
        (Offset is null ? next.Offset is null : next.Offset == Offset + Length);
}
