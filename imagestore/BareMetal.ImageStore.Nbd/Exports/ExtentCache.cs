using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>
/// The allocation map of a read-only export, computed once. Needed because a raw file's map comes from
/// SEEK_DATA/SEEK_HOLE, and on tmpfs SEEK_HOLE walks the page cache to the next hole: on a fully
/// allocated 1 GiB file that is tens of milliseconds per call, far too slow to run per READ.
/// </summary>
public sealed class ExtentCache
{
    /// <summary>Beyond this many extents the map is not cached (callers fall back to live lookups).</summary>
    public const int MaxExtents = 1 << 20;

    private readonly long[] _starts;
    private readonly DiskExtent[] _extents;

    private ExtentCache(DiskExtent[] extents)
    {
        _extents = extents;
        _starts = [.. extents.Select(e => e.Start)];
    }

    /// <summary>Builds the cache, or returns null when the map is too fragmented to hold.</summary>
    public static ExtentCache? Build(VirtualDisk disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        if (disk.Length == 0)
        {
            return new ExtentCache([]);
        }
        var list = new List<DiskExtent>();
        foreach (var e in disk.Map())
        {
            if (list.Count == MaxExtents)
            {
                return null;
            }
            list.Add(e);
        }
        return new ExtentCache([.. list]);
    }

    /// <summary>The extents overlapping [offset, offset+length), clipped to it.</summary>
    public IEnumerable<DiskExtent> Query(long offset, long length)
    {
        var end = offset + length;
        var i = Array.BinarySearch(_starts, offset);
        if (i < 0)
        {
            i = ~i - 1;
        }
        for (i = Math.Max(i, 0); i < _extents.Length && _extents[i].Start < end; i++)
        {
            var e = _extents[i];
            var s = Math.Max(e.Start, offset);
            var n = Math.Min(e.End, end) - s;
            if (n > 0)
            {
                yield return e with { Start = s, Length = n, Offset = e.Offset + (s - e.Start) };
            }
        }
    }
}
