namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>Placeholder until the Vmdk reader lands: refuses every image clearly.</summary>
public static class VmdkDisk
{
    public static VirtualDisk Open(FileSource file, OpenContext context)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(context);
        throw new ImageFormatException(file.Path, ImageFormat.Vmdk, ImageError.Unsupported, "this format is not implemented yet");
    }
}
