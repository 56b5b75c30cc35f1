namespace BareMetal.ImageStore.Formats.Partitions;

/// <summary>Which partition table a disk carries.</summary>
public enum PartitionTableKind
{
    /// <summary>No table: the disk is one file system (or nothing we recognise).</summary>
    None,
    /// <summary>A DOS/MBR table, with logical partitions in an extended partition's EBR chain.</summary>
    Mbr,
    /// <summary>A GUID partition table (behind a protective MBR).</summary>
    Gpt,
}
