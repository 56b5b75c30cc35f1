using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Guest;

/// <summary>A synthetic OS boot: <see cref="BootSpec.Files"/> files at random 4 KiB-aligned places in
/// the first <see cref="BootSpec.RegionGiB"/> of the image, visited in random order, each read front to
/// back in requests whose sizes add up to the working set; small writes (logs, state) scattered in
/// between; exponential think times adding up to the boot's CPU time. The same seed gives the same
/// trace, which is also what the prefetching VMM has "recorded" from earlier boots.</summary>
internal sealed class BootTrace
{
    private BootTrace(IReadOnlyList<BootStep> steps)
    {
        Steps = steps;
    }

    public IReadOnlyList<BootStep> Steps { get; }

    public long ReadCount => Steps.Count(s => !s.Write);

    public static BootTrace Generate(BootSpec spec, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        const int page = 4096;
        var regionPages = Math.Max(1, (long)(spec.RegionGiB * (1L << 30)) / page);
        var meanPages = Math.Max(1.0, spec.WorkingSetMB * 1e6 / page / spec.Reads);
        var steps = new List<BootStep>(spec.Reads + spec.Writes);

        // Reads per file: one each, the rest dealt at random, so file sizes vary.
        var perFile = new int[spec.Files];
        Array.Fill(perFile, 1);
        for (var i = spec.Files; i < spec.Reads; i++)
        {
            perFile[rng.NextInt64(spec.Files)]++;
        }

        var meanThink = spec.Reads + spec.Writes == 0 ? 0 : spec.ThinkSeconds * Time.Second / (spec.Reads + spec.Writes);
        var writeEvery = spec.Writes == 0 ? long.MaxValue : Math.Max(1, spec.Reads / spec.Writes);
        var writesLeft = spec.Writes;
        var readsDone = 0L;
        for (var f = 0; f < spec.Files; f++)
        {
            var sizes = new int[perFile[f]];
            long total = 0;
            for (var r = 0; r < sizes.Length; r++)
            {
                // 1..(2*mean - 1) pages, uniform: the mean is the working set over the read count.
                sizes[r] = 1 + (int)rng.NextInt64(Math.Max(1, (long)Math.Round((2 * meanPages) - 1)));
                sizes[r] = Math.Min(sizes[r], 1024);
                total += sizes[r];
            }

            var start = rng.NextInt64(Math.Max(1, regionPages - total));
            var offset = start * page;
            for (var r = 0; r < sizes.Length; r++)
            {
                steps.Add(new BootStep((long)rng.NextExponential(meanThink), false, offset, sizes[r] * page, r == 0));
                offset += (long)sizes[r] * page;
                readsDone++;
                if (writesLeft > 0 && readsDone % writeEvery == 0)
                {
                    var pages = 1 + (int)rng.NextInt64(4);
                    var at = rng.NextInt64(Math.Max(1, regionPages - pages)) * page;
                    steps.Add(new BootStep((long)rng.NextExponential(meanThink), true, at, pages * page, false));
                    writesLeft--;
                }
            }
        }

        return new BootTrace(steps);
    }

    /// <summary>The recorded working set as fetch extents in first-access order: adjacent reads
    /// coalesced, each extent at most <paramref name="maxBytes"/>.</summary>
    public IReadOnlyList<(long Offset, long Length)> WorkingSetExtents(long maxBytes)
    {
        var extents = new List<(long Offset, long Length)>();
        var seen = new HashSet<long>();
        foreach (var s in Steps)
        {
            if (s.Write)
            {
                continue;
            }

            for (var p = s.Offset; p < s.Offset + s.Length; p += 4096)
            {
                if (!seen.Add(p))
                {
                    continue;
                }

                if (extents.Count > 0)
                {
                    var (o, l) = extents[^1];
                    if (o + l == p && l + 4096 <= maxBytes)
                    {
                        extents[^1] = (o, l + 4096);
                        continue;
                    }
                }

                extents.Add((p, 4096));
            }
        }

        return extents;
    }
}
