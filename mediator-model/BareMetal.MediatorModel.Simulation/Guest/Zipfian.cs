using System.Collections.Concurrent;
using BareMetal.MediatorModel.Simulation.Engine;

namespace BareMetal.MediatorModel.Simulation.Guest;

/// <summary>YCSB's request distribution: item ranks drawn from a Zipf law with exponent
/// <see cref="Theta"/> by the closed-form method of Gray et al. ("Quickly generating billion-record
/// synthetic databases", SIGMOD'94), then scrambled by an FNV hash so popular items are spread over
/// the table instead of packed at its start (YCSB's ScrambledZipfianGenerator does the same).</summary>
internal sealed class Zipfian
{
    /// <summary>zeta(n, theta) is a sum over n terms: computed once per (n, theta) in a process.</summary>
    private static readonly ConcurrentDictionary<(long, double), double> ZetaCache = new();

    private readonly long _items;
    private readonly double _alpha;
    private readonly double _zetaN;
    private readonly double _eta;
    private readonly double _halfPowTheta;

    public Zipfian(long items, double theta)
    {
        if (items < 1 || theta <= 0 || theta >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(theta), $"Zipfian needs items >= 1 and 0 < theta < 1 (got {items}, {theta})");
        }

        _items = items;
        Theta = theta;
        _alpha = 1 / (1 - theta);
        _zetaN = ZetaCache.GetOrAdd((items, theta), static k => Zeta(k.Item1, k.Item2));
        var zeta2 = Zeta(Math.Min(2, items), theta);
        _eta = (1 - Math.Pow(2.0 / items, 1 - theta)) / (1 - (zeta2 / _zetaN));
        _halfPowTheta = Math.Pow(0.5, theta);
    }

    public double Theta { get; }

    /// <summary>A popularity rank in [0, items): 0 is the most popular.</summary>
    public long NextRank(Xoshiro256 rng)
    {
        var u = rng.NextDouble();
        var uz = u * _zetaN;
        if (uz < 1)
        {
            return 0;
        }

        if (uz < 1 + _halfPowTheta)
        {
            return Math.Min(1, _items - 1);
        }

        var rank = (long)(_items * Math.Pow((_eta * u) - _eta + 1, _alpha));
        return Math.Clamp(rank, 0, _items - 1);
    }

    /// <summary>An item in [0, items): a rank moved to a fixed pseudo-random place.</summary>
    public long Next(Xoshiro256 rng) => Scramble(NextRank(rng), _items);

    internal static long Scramble(long rank, long items)
    {
        // FNV-1a over the rank's 8 bytes.
        var h = 14695981039346656037UL;
        var v = (ulong)rank;
        for (var i = 0; i < 8; i++)
        {
            h = unchecked((h ^ (v & 0xff)) * 1099511628211UL);
            v >>= 8;
        }

        return (long)(h % (ulong)items);
    }

    private static double Zeta(long n, double theta)
    {
        var sum = 0.0;
        for (long i = 1; i <= n; i++)
        {
            sum += 1 / Math.Pow(i, theta);
        }

        return sum;
    }
}
