namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// A leaf extent: <paramref name="Count"/> file blocks from <paramref name="Logical"/> live at
/// <paramref name="Physical"/>. An uninitialized extent (ee_len &gt; 32768) is allocated but reads as zeros.
/// </summary>
public readonly record struct ExtExtent(uint Logical, uint Count, ulong Physical, bool Uninitialized);
