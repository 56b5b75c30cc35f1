namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// A read-only file system inside an image (ext2/3/4, FAT, ISO 9660): what every reader offers. Path
/// operations (resolve with symlinks, walk with loop detection, bounded reads) are built on these in
/// <see cref="FileSystemPaths"/>, the same for every reader. Thread-safe for concurrent readers.
/// Corrupt or hostile structures throw <see cref="FileSystemFormatException"/> (or, for ISO,
/// <see cref="ImageFormatException"/>).
/// </summary>
public interface IFileSystemReader
{
    /// <summary>The file system's type as blkid names it: "ext2", "ext3", "ext4", "vfat", "iso9660".</summary>
    string Type { get; }

    /// <summary>How errors name this volume: the image path, with ":N" for partition N.</summary>
    string Name { get; }

    /// <summary>True where names match whatever their case (FAT, ISO 9660).</summary>
    bool CaseInsensitive { get; }

    /// <summary>The volume label, or null when it has none.</summary>
    string? Label { get; }

    /// <summary>The volume UUID as blkid prints it, or null.</summary>
    string? Uuid { get; }

    /// <summary>The root directory.</summary>
    FileSystemEntry Root { get; }

    /// <summary>The entries of a directory, without "." and "..".</summary>
    IReadOnlyList<FileSystemEntry> List(FileSystemEntry directory);

    /// <summary>A read-only, seekable stream over a regular file's bytes (holes read as zeros).</summary>
    Stream OpenRead(FileSystemEntry file);

    /// <summary>A symlink's target, as stored.</summary>
    string ReadLink(FileSystemEntry symlink);
}
