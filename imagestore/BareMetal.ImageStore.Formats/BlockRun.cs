namespace BareMetal.ImageStore.Formats;

/// <summary>What one layer of an image holds for a run of guest bytes.</summary>
public enum BlockState
{
    /// <summary>This layer has nothing: read the backing image, or zeros when there is none.</summary>
    Unallocated,
    /// <summary>Plain bytes at <see cref="BlockRun.HostOffset"/> in <see cref="BlockRun.Source"/>.</summary>
    Data,
    /// <summary>Reads as zeros and hides the backing image (qcow2 zero cluster, raw hole, VHDX ZERO).</summary>
    Zero,
    /// <summary>Present but stored encoded (compressed cluster, streamOptimized grain): the format decodes it.</summary>
    Encoded,
}

/// <summary>
/// One run of guest bytes, all in the same state in one layer. Formats answer lookups with these;
/// the shared read and map logic in <see cref="VirtualDisk"/> does the rest.
/// </summary>
/// <param name="Length">Bytes covered, at least 1.</param>
/// <param name="State">How the bytes are held.</param>
/// <param name="HostOffset">For Data: where the bytes start in <paramref name="Source"/>. For Zero: the
/// host offset when one is allocated (else -1). For Encoded: a format-defined position.</param>
/// <param name="Source">The file holding the bytes (null = the image's own file).</param>
/// <param name="Tag">Format-defined extra information for Encoded runs (e.g. compressed length).</param>
/// <param name="FileHole">For Zero: the zeros are a hole in a host file that the format maps guest bytes
/// onto one to one (fixed VHD, flat VMDK extent). qemu asks the file's block status there and reports
/// such ranges as "zero" and "data" at once; maps say the same.</param>
public readonly record struct BlockRun(long Length, BlockState State, long HostOffset = -1, FileSource? Source = null, long Tag = 0, bool FileHole = false)
{
    public static BlockRun Unallocated(long length) => new(length, BlockState.Unallocated);

    public static BlockRun Zero(long length, long hostOffset = -1) => new(length, BlockState.Zero, hostOffset);

    /// <summary>A hole in a raw-mapped host file: reads as zeros, mapped as zero and data (see <see cref="FileHole"/>).</summary>
    public static BlockRun HoleInFile(long length, long hostOffset) => new(length, BlockState.Zero, hostOffset, FileHole: true);

    public static BlockRun Data(long length, long hostOffset, FileSource? source = null) => new(length, BlockState.Data, hostOffset, source);
}
