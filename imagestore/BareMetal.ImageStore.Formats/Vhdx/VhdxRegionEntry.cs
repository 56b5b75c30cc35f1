namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>One 32-byte region table entry: which region, where, how long, and whether a reader must understand it.</summary>
public readonly record struct VhdxRegionEntry(Guid Id, long FileOffset, uint Length, bool Required);
