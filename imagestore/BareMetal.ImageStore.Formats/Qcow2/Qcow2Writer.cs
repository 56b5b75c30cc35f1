namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>Creates qcow2 v3 images. Placeholder until the qcow2 writer lands.</summary>
public static class Qcow2Writer
{
    /// <summary>
    /// Creates an empty qcow2 v3 image of <paramref name="virtualSize"/> bytes and opens it writable.
    /// With a backing file, unwritten clusters read from it (a copy-on-write overlay).
    /// </summary>
    public static VirtualDisk Create(string path, long virtualSize, int clusterSize = 65536, string? backingFile = null, ImageFormat? backingFormat = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        _ = virtualSize;
        _ = clusterSize;
        _ = backingFile;
        _ = backingFormat;
        throw new ImageFormatException(path, ImageFormat.Qcow2, ImageError.Unsupported, "qcow2 writing is not implemented yet");
    }
}
