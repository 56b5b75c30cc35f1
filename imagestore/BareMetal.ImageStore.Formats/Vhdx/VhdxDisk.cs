namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>Placeholder until the Vhdx reader lands: refuses every image clearly.</summary>
public static class VhdxDisk
{
    public static VirtualDisk Open(FileSource file, OpenContext context)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(context);
        throw new ImageFormatException(file.Path, ImageFormat.Vhdx, ImageError.Unsupported, "this format is not implemented yet");
    }
}
