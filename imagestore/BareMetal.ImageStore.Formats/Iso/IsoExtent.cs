namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>One contiguous piece of a file: <paramref name="Length"/> bytes from logical block <paramref name="Lba"/>.</summary>
public readonly record struct IsoExtent(uint Lba, uint Length);
