namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>Maps a file's logical blocks to the volume's blocks.</summary>
internal interface IExtBlockMap
{
    /// <summary>
    /// Where logical block <paramref name="logical"/> lives, and how many following logical blocks lie
    /// contiguously after it (at least 1). Physical 0 is a hole (or an uninitialized extent): zeros.
    /// </summary>
    (ulong Physical, long Count) Map(long logical);
}
