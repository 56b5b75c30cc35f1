namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>Placeholder until the Vhd reader lands: refuses every image clearly.</summary>
public static class VhdDisk
{
    public static VirtualDisk Open(FileSource file, OpenContext context)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(context);
        throw new ImageFormatException(file.Path, ImageFormat.Vhd, ImageError.Unsupported, "this format is not implemented yet");
    }
}
