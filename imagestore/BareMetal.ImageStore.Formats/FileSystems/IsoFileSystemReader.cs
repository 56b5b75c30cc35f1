using BareMetal.ImageStore.Formats.Iso;

namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>The ISO 9660 reader (Joliet / Rock Ridge names) behind the shared <see cref="IFileSystemReader"/>.</summary>
public sealed class IsoFileSystemReader : IFileSystemReader
{
    public IsoFileSystemReader(IsoFileSystem iso, string name)
    {
        ArgumentNullException.ThrowIfNull(iso);
        Iso = iso;
        Name = name;
        Root = Entry(iso.RootEntry);
    }

    public IsoFileSystem Iso { get; }
    public string Name { get; }
    public string Type => "iso9660";
    public bool CaseInsensitive => true;
    public string? Label => Iso.VolumeId.Length == 0 ? null : Iso.VolumeId;
    public string? Uuid => null;
    public FileSystemEntry Root { get; }

    private static FileSystemEntry Entry(IsoEntry e) =>
        new(e.Name, e.IsDirectory ? FileSystemEntryKind.Directory : FileSystemEntryKind.File, e.IsDirectory ? 0 : e.Size,
            e.Extents.Count > 0 ? e.Extents[0].Lba : 0, e.IsDirectory ? 0x41ED : 0x81A4, 0, 0, e.Modified)
        { Handle = e };

    private static IsoEntry Of(FileSystemEntry e) =>
        e.Handle as IsoEntry ?? throw new ArgumentException($"'{e.Name}' does not come from an ISO 9660 file system", nameof(e));

    public IReadOnlyList<FileSystemEntry> List(FileSystemEntry directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var d = Of(directory);
        if (!d.IsDirectory)
        {
            throw new IOException($"{Name}: '{directory.Name}' is not a directory");
        }
        return [.. Iso.ListEntry(d, directory.Name).Select(Entry)];
    }

    public Stream OpenRead(FileSystemEntry file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var f = Of(file);
        if (f.IsDirectory)
        {
            throw new IOException($"{Name}: '{file.Name}' is a directory");
        }
        return Iso.OpenEntry(f);
    }

    public string ReadLink(FileSystemEntry symlink) => throw new IOException($"{Name}: symbolic links on ISO 9660 are not read");
}
