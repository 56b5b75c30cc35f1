namespace BareMetal.ImageStore.Formats;

/// <summary>How <see cref="DiskImage.Open"/> opens an image.</summary>
public sealed record OpenOptions
{
    /// <summary>Open the top layer for writing. Backing layers are always read-only.</summary>
    public bool Writable { get; init; }

    /// <summary>Skip probing and use this format (like qemu-img -f). Null = probe the content.</summary>
    public ImageFormat? Format { get; init; }

    /// <summary>Follow backing files. False opens the layer alone (unallocated reads as zeros).</summary>
    public bool FollowBacking { get; init; } = true;

    public static OpenOptions ReadOnly { get; } = new();
}
