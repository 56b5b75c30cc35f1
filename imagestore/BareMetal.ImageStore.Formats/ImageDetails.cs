namespace BareMetal.ImageStore.Formats;

/// <summary>What `image info` prints about one layer.</summary>
public sealed record ImageDetails
{
    public required ImageFormat Format { get; init; }
    public required string Path { get; init; }
    public required long VirtualSize { get; init; }
    /// <summary>Bytes the host file system has allocated for the file(s).</summary>
    public required long AllocatedSize { get; init; }
    /// <summary>Cluster, block or grain size; null when the format has none (raw).</summary>
    public int? ClusterSize { get; init; }
    /// <summary>Sub-format: "monolithicSparse", "dynamic", "v3", ...</summary>
    public string? Subformat { get; init; }
    /// <summary>Format-specific facts, stable keys in lower-kebab-case.</summary>
    public IReadOnlyDictionary<string, string> Features { get; init; } = new Dictionary<string, string>();
    public string? BackingFile { get; init; }
    public ImageFormat? BackingFormat { get; init; }
}
