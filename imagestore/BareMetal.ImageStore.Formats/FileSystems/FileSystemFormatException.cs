namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// A clean, one-line refusal of a partition table or file system inside an image (the sibling of
/// <see cref="ImageFormatException"/>, which speaks of the image container): names the image, the
/// structure's format ("gpt", "ext4", "vfat" ...) and the problem, with the offset where it was found.
/// Everything a hostile table or file system can cause ends up as this, never as an
/// IndexOutOfRange/Overflow/OutOfMemory or a hang.
/// </summary>
public sealed class FileSystemFormatException : IOException
{
    public FileSystemFormatException(string? path, string format, ImageError reason, string problem)
        : base($"{path ?? "<disk>"}: {format}: {problem}")
    {
        ImagePath = path;
        Format = format;
        Reason = reason;
        Problem = problem;
    }

    public FileSystemFormatException(string? path, string format, ImageError reason, string problem, Exception inner)
        : base($"{path ?? "<disk>"}: {format}: {problem}", inner)
    {
        ImagePath = path;
        Format = format;
        Reason = reason;
        Problem = problem;
    }

    public string? ImagePath { get; }

    /// <summary>The structure refused: "mbr", "gpt", "ext4", "vfat", "xfs" ...</summary>
    public string Format { get; }

    public ImageError Reason { get; }
    public string Problem { get; }
}
