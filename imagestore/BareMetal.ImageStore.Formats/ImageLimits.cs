namespace BareMetal.ImageStore.Formats;

/// <summary>
/// Bounds that a lying header cannot push us past. Memory follows only what the file really holds:
/// every table is checked against these and against the file's length before it is read.
/// </summary>
public static class ImageLimits
{
    /// <summary>Largest virtual disk we accept: 2^62 bytes (qemu's qcow2 limit is 2^61 too).</summary>
    public const long MaxVirtualSize = 1L << 62;

    /// <summary>Largest metadata table read into memory at once (L1, BAT, grain directory): 64 MiB.</summary>
    public const long MaxTableBytes = 64L << 20;

    /// <summary>Deepest backing chain followed before we call it a loop in disguise.</summary>
    public const int MaxChainDepth = 256;

    /// <summary>Largest descriptor or header text read (VMDK descriptor, ISO path tables).</summary>
    public const int MaxDescriptorBytes = 1 << 20;
}
