using System.Globalization;

namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// A byte range of a <see cref="VirtualDisk"/> (a partition, or the whole disk) that a file system
/// reader sees as its volume. Reads outside the range are refused with a one-line error naming what was
/// being read, so no on-disk pointer can reach past its partition.
/// </summary>
public sealed class DiskSlice
{
    public DiskSlice(VirtualDisk disk, long offset, long length, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(disk);
        if (offset < 0 || length < 0 || offset > disk.Length || length > disk.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"slice {offset}+{length} is outside the disk (size {disk.Length})");
        }
        Disk = disk;
        Offset = offset;
        Length = length;
        Name = name ?? disk.Path;
    }

    public VirtualDisk Disk { get; }

    /// <summary>Where the volume starts on the disk, in bytes.</summary>
    public long Offset { get; }

    public long Length { get; }

    /// <summary>How errors name this volume: the image path, with ":N" for a partition.</summary>
    public string Name { get; }

    /// <summary>True when [offset, offset+length) lies inside the volume.</summary>
    public bool Contains(long offset, long length) => offset >= 0 && length >= 0 && offset <= Length && length <= Length - offset;

    /// <summary>Reads dest.Length bytes at <paramref name="offset"/> (volume-relative); refuses reads past the volume's end.</summary>
    public void Read(long offset, Span<byte> dest, string format, string what)
    {
        if (!Contains(offset, dest.Length))
        {
            throw new FileSystemFormatException(Name, format, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"{what} at byte {offset} ({dest.Length} bytes) lies past the end of the volume ({Length} bytes)"));
        }
        Disk.Read(Offset + offset, dest);
    }
}
