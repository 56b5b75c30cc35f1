namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>Placeholder until the Qcow2 reader lands: refuses every image clearly.</summary>
public static class Qcow2Disk
{
    public static VirtualDisk Open(FileSource file, OpenContext context)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(context);
        throw new ImageFormatException(file.Path, ImageFormat.Qcow2, ImageError.Unsupported, "this format is not implemented yet");
    }
}
