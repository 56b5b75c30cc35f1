namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// A file, directory or symlink as a reader lists it. <paramref name="Id"/> identifies the object inside
/// its file system (ext inode number, FAT first cluster, ISO extent) and is what directory-loop checks
/// compare. <paramref name="Mode"/> is the POSIX mode (type and permission bits) where the file system
/// has one, else a synthesised one.
/// </summary>
public sealed record FileSystemEntry(
    string Name,
    FileSystemEntryKind Kind,
    long Size,
    long Id,
    int Mode,
    long Uid,
    long Gid,
    DateTimeOffset? Modified)
{
    public bool IsDirectory => Kind == FileSystemEntryKind.Directory;
    public bool IsFile => Kind == FileSystemEntryKind.File;
    public bool IsSymlink => Kind == FileSystemEntryKind.Symlink;

    /// <summary>The reader's own handle on the object (an inode, a directory record); opaque to callers.</summary>
    internal object? Handle { get; init; }
}
