namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>What a directory entry is.</summary>
public enum FileSystemEntryKind
{
    File,
    Directory,
    Symlink,
    /// <summary>A device node, FIFO or socket: listed, never read.</summary>
    Other,
}
