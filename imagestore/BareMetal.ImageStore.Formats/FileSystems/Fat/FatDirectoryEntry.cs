namespace BareMetal.ImageStore.Formats.FileSystems.Fat;

/// <summary>One directory entry with its long name joined (when the LFN entries before it check out).</summary>
public readonly record struct FatDirectoryEntry(string Name, byte Attributes, uint FirstCluster, uint Size, DateTimeOffset? Modified)
{
    public const byte AttrVolumeId = 0x08;
    public const byte AttrDirectory = 0x10;
    public const byte AttrLongName = 0x0F;

    public bool IsDirectory => (Attributes & AttrDirectory) != 0;
}
