namespace BareMetal.ImageStore.Formats;

/// <summary>
/// A clean, one-line refusal of an image: names the file, the format and the problem. Everything a
/// hostile or corrupt image can cause must end up as this exception, never as an
/// IndexOutOfRange/Overflow/OutOfMemory.
/// </summary>
public sealed class ImageFormatException : IOException
{
    public ImageFormatException(string? path, ImageFormat format, ImageError reason, string problem)
        : base($"{path ?? "<stream>"}: {FormatName(format)}: {problem}")
    {
        ImagePath = path;
        Format = format;
        Reason = reason;
        Problem = problem;
    }

    public ImageFormatException(string? path, ImageFormat format, ImageError reason, string problem, Exception inner)
        : base($"{path ?? "<stream>"}: {FormatName(format)}: {problem}", inner)
    {
        ImagePath = path;
        Format = format;
        Reason = reason;
        Problem = problem;
    }

    public string? ImagePath { get; }
    public ImageFormat Format { get; }
    public ImageError Reason { get; }
    public string Problem { get; }

    public static string FormatName(ImageFormat format) => format switch
    {
        ImageFormat.Raw => "raw",
        ImageFormat.Qcow2 => "qcow2",
        ImageFormat.Vhd => "vpc",
        ImageFormat.Vhdx => "vhdx",
        ImageFormat.Vmdk => "vmdk",
        ImageFormat.Iso => "iso9660",
        _ => format.ToString().ToLowerInvariant(),
    };
}
