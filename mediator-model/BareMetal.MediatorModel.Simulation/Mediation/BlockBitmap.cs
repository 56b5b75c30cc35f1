namespace BareMetal.MediatorModel.Simulation.Mediation;

/// <summary>One bit per 4 KiB block, in pages of 32768 bits allocated on first set and dropped
/// to a shared all-ones page once full: a 32 GiB image has 8M blocks, and a thousand nodes copying
/// sequentially keep only their copy frontier in memory.</summary>
internal sealed class BlockBitmap
{
    private const int PageBits = 1 << 15;
    private const int WordsPerPage = PageBits / 64;
    private static readonly ulong[] Full = CreateFull();

    private readonly ulong[]?[] _pages;
    private readonly int[] _counts;

    public BlockBitmap(long blocks)
    {
        Blocks = blocks;
        var pages = checked((int)((blocks + PageBits - 1) / PageBits));
        _pages = new ulong[pages][];
        _counts = new int[pages];
    }

    public long Blocks { get; }

    public long SetCount { get; private set; }

    public bool Get(long block)
    {
        var page = _pages[block / PageBits];
        if (page is null)
        {
            return false;
        }

        var bit = block % PageBits;
        return (page[bit / 64] & (1UL << (int)(bit % 64))) != 0;
    }

    public void Set(long block)
    {
        var p = (int)(block / PageBits);
        var page = _pages[p];
        if (ReferenceEquals(page, Full))
        {
            return;
        }

        page ??= _pages[p] = new ulong[WordsPerPage];
        var bit = block % PageBits;
        var mask = 1UL << (int)(bit % 64);
        ref var word = ref page[bit / 64];
        if ((word & mask) != 0)
        {
            return;
        }

        word |= mask;
        SetCount++;
        if (++_counts[p] == PageBits)
        {
            _pages[p] = Full;
        }
    }

    public void SetRange(long first, long count)
    {
        var b = first;
        var end = first + count;
        while (b < end)
        {
            var p = (int)(b / PageBits);
            var pageEnd = Math.Min(end, ((long)p + 1) * PageBits);
            if (ReferenceEquals(_pages[p], Full))
            {
                b = pageEnd;
                continue;
            }

            var page = _pages[p] ??= new ulong[WordsPerPage];
            while (b < pageEnd)
            {
                var bit = (int)(b % PageBits);
                var n = (int)Math.Min(64 - (bit % 64), pageEnd - b);
                var mask = (n == 64 ? ulong.MaxValue : ((1UL << n) - 1)) << (bit % 64);
                ref var word = ref page[bit / 64];
                var added = System.Numerics.BitOperations.PopCount(mask & ~word);
                word |= mask;
                SetCount += added;
                _counts[p] += added;
                b += n;
            }

            if (_counts[p] == PageBits)
            {
                _pages[p] = Full;
            }
        }
    }

    /// <summary>First block in [from, end) whose bit equals <paramref name="value"/>, or end.</summary>
    public long Next(bool value, long from, long end)
    {
        var b = from;
        while (b < end)
        {
            var p = (int)(b / PageBits);
            var page = _pages[p];
            var pageEnd = Math.Min(end, ((long)p + 1) * PageBits);
            if (page is null || ReferenceEquals(page, Full))
            {
                // A whole page of one value: either the answer is here or the page is skipped.
                if ((page is not null) == value)
                {
                    return b;
                }

                b = pageEnd;
                continue;
            }

            while (b < pageEnd)
            {
                var bit = (int)(b % PageBits);
                var word = value ? page[bit / 64] : ~page[bit / 64];
                word >>= bit % 64;
                if (word != 0)
                {
                    var found = b + System.Numerics.BitOperations.TrailingZeroCount(word);
                    return Math.Min(found, end);
                }

                b += 64 - (bit % 64);
            }
        }

        return end;
    }

    public bool AllSet(long first, long count) => Next(false, first, first + count) == first + count;

    public bool AnySet(long first, long count) => Next(true, first, first + count) != first + count;

    private static ulong[] CreateFull()
    {
        var full = new ulong[WordsPerPage];
        Array.Fill(full, ulong.MaxValue);
        return full;
    }
}
