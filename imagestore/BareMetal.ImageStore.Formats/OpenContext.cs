namespace BareMetal.ImageStore.Formats;

/// <summary>
/// What a format's opener needs besides its file: the options, and the chain walked so far (to
/// refuse cycles and absurd depths), plus a way to open its backing file.
/// </summary>
public sealed class OpenContext
{
    private readonly List<string> _chain;

    internal OpenContext(OpenOptions options, List<string> chain)
    {
        Options = options;
        _chain = chain;
    }

    public OpenOptions Options { get; }

    /// <summary>True for the top layer when it was asked for writable.</summary>
    public bool Writable => Options.Writable && _chain.Count == 1;

    /// <summary>Full paths from the top of the chain down to the layer being opened.</summary>
    public IReadOnlyList<string> Chain => _chain;

    /// <summary>
    /// Opens the backing file named in <paramref name="ofPath"/>'s header. Relative names resolve
    /// against the directory of the image that names them (as qemu does).
    /// </summary>
    public VirtualDisk? OpenBacking(string ofPath, ImageFormat ofFormat, string backingName, ImageFormat? backingFormat)
    {
        if (!Options.FollowBacking)
        {
            return null;
        }
        if (backingName.Contains('\0', StringComparison.Ordinal))
        {
            throw new ImageFormatException(ofPath, ofFormat, ImageError.BadBackingChain, "backing file name contains a NUL byte");
        }
        if (backingName.Contains("://", StringComparison.Ordinal) || backingName.StartsWith("json:", StringComparison.Ordinal))
        {
            throw new ImageFormatException(ofPath, ofFormat, ImageError.Unsupported, $"backing file '{backingName}' is not a local file");
        }
        var dir = System.IO.Path.GetDirectoryName(ofPath) ?? ".";
        var full = System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(backingName) ? backingName : System.IO.Path.Combine(dir, backingName));
        if (_chain.Contains(full, StringComparer.Ordinal))
        {
            throw new ImageFormatException(ofPath, ofFormat, ImageError.BadBackingChain,
                $"backing chain loops back to {full} ({string.Join(" -> ", _chain)} -> {full})");
        }
        if (_chain.Count >= ImageLimits.MaxChainDepth)
        {
            throw new ImageFormatException(ofPath, ofFormat, ImageError.BadBackingChain,
                $"backing chain deeper than {ImageLimits.MaxChainDepth} layers");
        }
        if (!System.IO.File.Exists(full))
        {
            throw new ImageFormatException(ofPath, ofFormat, ImageError.BadBackingChain, $"backing file '{backingName}' not found ({full})");
        }
        var child = new OpenContext(Options with { Format = backingFormat }, [.. _chain, full]);
        return DiskImage.OpenLayer(full, child);
    }
}
