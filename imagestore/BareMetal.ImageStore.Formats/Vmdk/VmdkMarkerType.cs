namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>The type field of a stream-optimized metadata marker (grain markers have none).</summary>
public enum VmdkMarkerType : uint
{
    /// <summary>MARKER_EOS: end of stream.</summary>
    EndOfStream = 0,
    /// <summary>MARKER_GT: a grain table follows.</summary>
    GrainTable = 1,
    /// <summary>MARKER_GD: the grain directory follows.</summary>
    GrainDirectory = 2,
    /// <summary>MARKER_FOOTER: the footer (a copy of the header with the real gdOffset) follows.</summary>
    Footer = 3,
    /// <summary>Not a stored value: a grain marker (size != 0).</summary>
    Grain = 0xFFFFFFFF,
}
