namespace BareMetal.MediatorModel.Simulation.Engine;

/// <summary>xoshiro256** (Blackman and Vigna): our own generator rather than System.Random so the
/// stream is defined by this file alone, identical on every runtime version and platform.</summary>
internal sealed class Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed)
    {
        // SplitMix64 expands one seed into a well-mixed, never all-zero state (the authors' advice).
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    public ulong NextUInt64()
    {
        unchecked
        {
            var result = RotateLeft(_s1 * 5, 7) * 9;
            var t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = RotateLeft(_s3, 45);
            return result;
        }
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, bound); bound must be positive. Lemire's multiply-shift, no modulo bias worth
    /// caring about at simulation sizes.</summary>
    public long NextInt64(long bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        return (long)Math.BigMul(NextUInt64(), (ulong)bound, out _);
    }

    /// <summary>Exponentially distributed with the given mean.</summary>
    public double NextExponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    /// <summary>A child generator with its own stream, so adding a draw in one model does not shift another's.</summary>
    public Xoshiro256 Fork(ulong salt) => new(NextUInt64() ^ unchecked(salt * 0x9E3779B97F4A7C15UL));

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            var z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
