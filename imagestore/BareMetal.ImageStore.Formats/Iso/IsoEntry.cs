namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>A file or directory of an ISO 9660 volume, as listed.</summary>
/// <param name="Name">The display name: Joliet when present, else Rock Ridge NM, else the ISO name without ";1".</param>
/// <param name="Extents">Where the bytes are, in order (several for multi-extent files).</param>
public sealed record IsoEntry(string Name, IsoFileFlags Flags, IReadOnlyList<IsoExtent> Extents, DateTimeOffset? Modified)
{
    public bool IsDirectory => (Flags & IsoFileFlags.Directory) != 0;

    public long Size => Extents.Sum(e => (long)e.Length);
}
