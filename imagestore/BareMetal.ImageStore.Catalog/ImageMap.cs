using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// The allocation map reduced to a fixed number of buckets for the image details page (a strip of
/// coloured cells). Computed from <see cref="VirtualDisk.Map"/> in one pass over the extents.
/// </summary>
public static class ImageMap
{
    /// <summary>Most buckets a caller may ask for (the picture is a few hundred pixels wide).</summary>
    public const int MaxBuckets = 4096;

    public static IReadOnlyList<ImageMapBucket> Compute(VirtualDisk disk, int buckets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(disk);
        return Compute(disk.Length, disk.Map(), buckets, cancellationToken);
    }

    /// <summary>Pure form over any extent list (sorted, non-overlapping, covering [0, length)).</summary>
    public static IReadOnlyList<ImageMapBucket> Compute(long length, IEnumerable<DiskExtent> extents, int buckets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(extents);
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(buckets, MaxBuckets);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            return [];
        }
        var n = (int)Math.Min(buckets, length);
        var data = new double[n];
        var zero = new double[n];
        var hole = new double[n];
        long BucketStart(int i) => (long)((Int128)length * i / n);
        foreach (var e in extents)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pos = Math.Max(0, e.Start);
            var end = Math.Min(length, e.End);
            var i = (int)((Int128)pos * n / length);
            while (pos < end && i < n)
            {
                var bucketEnd = BucketStart(i + 1);
                var take = Math.Min(end, bucketEnd) - pos;
                if (take > 0)
                {
                    var target = e.Data ? data : e.Present ? zero : hole;
                    target[i] += take;
                    pos += take;
                }
                if (pos >= bucketEnd)
                {
                    i++;
                }
            }
        }
        var result = new ImageMapBucket[n];
        for (var i = 0; i < n; i++)
        {
            var start = BucketStart(i);
            var len = BucketStart(i + 1) - start;
            double d = data[i] / len, z = zero[i] / len;
            result[i] = new ImageMapBucket(start, len, d, z, Math.Max(0, 1 - d - z));
        }
        return result;
    }
}
