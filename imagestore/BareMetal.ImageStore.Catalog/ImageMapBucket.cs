namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// One bucket of an <see cref="ImageMap"/>: the share of its guest bytes that is stored data, reads as
/// zeros (allocated zero or a zero cluster), or is a hole nobody in the chain holds. The three add up to 1.
/// </summary>
public readonly record struct ImageMapBucket(long Start, long Length, double Data, double Zero, double Hole);
