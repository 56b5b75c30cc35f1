namespace BareMetal.ImageStore.Nbd.Counters;

/// <summary>
/// One bit per region of a disk, set lock-free. Regions are 64 KiB, or larger on huge disks so the
/// bitmap never exceeds <see cref="MaxBits"/> bits (128 KiB of memory) whatever size a disk claims.
/// </summary>
public sealed class RegionBitmap
{
    /// <summary>The region size we want: the usual cluster size, so "blocks touched" means clusters.</summary>
    public const int PreferredRegionSize = 64 * 1024;

    /// <summary>Upper bound on the bitmap, in bits.</summary>
    public const long MaxBits = 1L << 20;

    private readonly long[] _words;
    private long _setCount;

    public RegionBitmap(long diskLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(diskLength);
        var shift = 16;
        while (((diskLength + (1L << shift) - 1) >> shift) > MaxBits)
        {
            shift++;
        }
        Shift = shift;
        RegionCount = (diskLength + (1L << shift) - 1) >> shift;
        _words = new long[(RegionCount + 63) / 64];
    }

    /// <summary>log2 of the region size.</summary>
    public int Shift { get; }

    public long RegionSize => 1L << Shift;

    public long RegionCount { get; }

    /// <summary>Regions with their bit set.</summary>
    public long SetCount => Interlocked.Read(ref _setCount);

    /// <summary>Marks every region overlapping [offset, offset+length).</summary>
    public void Mark(long offset, long length)
    {
        if (length <= 0 || offset < 0)
        {
            return;
        }
        var first = offset >> Shift;
        var last = Math.Min((offset + length - 1) >> Shift, RegionCount - 1);
        for (var r = first; r <= last; r++)
        {
            var bit = 1L << (int)(r & 63);
            ref var word = ref _words[r >> 6];
            if ((Volatile.Read(ref word) & bit) != 0)
            {
                continue;
            }
            var before = Interlocked.Or(ref word, bit);
            if ((before & bit) == 0)
            {
                Interlocked.Increment(ref _setCount);
            }
        }
    }

    public bool IsSet(long region) =>
        region >= 0 && region < RegionCount && (Volatile.Read(ref _words[region >> 6]) & (1L << (int)(region & 63))) != 0;

    /// <summary>
    /// The set regions as byte ranges [start, end), merged. Empty and full words are stepped over whole:
    /// /metrics and the console ask this of every export and client, and a big disk has 2^20 regions.
    /// </summary>
    public IReadOnlyList<(long Start, long End)> Ranges()
    {
        var list = new List<(long, long)>();
        long runStart = -1;
        for (long w = 0; w < _words.Length; w++)
        {
            var first = w << 6;
            var bits = (int)Math.Min(64, RegionCount - first);
            var full = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            var word = unchecked((ulong)Volatile.Read(ref _words[w])) & full;
            if (word == 0 && runStart < 0)
            {
                continue;
            }
            if (word == full && runStart >= 0)
            {
                continue;
            }
            for (var b = 0; b < bits; b++)
            {
                var set = (word & (1UL << b)) != 0;
                if (set && runStart < 0)
                {
                    runStart = first + b;
                }
                else if (!set && runStart >= 0)
                {
                    list.Add((runStart << Shift, (first + b) << Shift));
                    runStart = -1;
                }
            }
        }
        if (runStart >= 0)
        {
            list.Add((runStart << Shift, RegionCount << Shift));
        }
        return list;
    }
}
