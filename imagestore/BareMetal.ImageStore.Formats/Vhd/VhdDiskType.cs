namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>The footer's "Disk Type" field.</summary>
public enum VhdDiskType : uint
{
    None = 0,
    /// <summary>Data first, footer last; no tables.</summary>
    Fixed = 2,
    /// <summary>Footer copy, dynamic header, BAT, blocks (each preceded by its sector bitmap), footer.</summary>
    Dynamic = 3,
    /// <summary>Dynamic, plus a parent: sectors whose bitmap bit is clear come from the parent.</summary>
    Differencing = 4,
}
