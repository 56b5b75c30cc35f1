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
        for (var b = first; b < first + count; b++)
        {
            Set(b);
        }
    }

    public bool AllSet(long first, long count)
    {
        for (var b = first; b < first + count; b++)
        {
            if (!Get(b))
            {
                return false;
            }
        }

        return true;
    }

    public bool AnySet(long first, long count)
    {
        for (var b = first; b < first + count; b++)
        {
            if (Get(b))
            {
                return true;
            }
        }

        return false;
    }

    private static ulong[] CreateFull()
    {
        var full = new ulong[WordsPerPage];
        Array.Fill(full, ulong.MaxValue);
        return full;
    }
}
