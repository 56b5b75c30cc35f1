using BareMetal.ImageStore.Nbd.Counters;

namespace BareMetal.ImageStore.Nbd.Tests;

public class CounterTests
{
    [Test]
    public void RegionBitmap_MarksOverlappingRegionsOnce()
    {
        var b = new RegionBitmap(1 << 20);
        b.Mark(65535, 2);
        b.Mark(0, 1);
        Assert.That(b.SetCount, Is.EqualTo(2));
        Assert.That(b.Ranges(), Is.EqualTo(new[] { (0L, 131072L) }));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    public void RegionBitmap_Ranges_AcrossEmptyFullAndPartialWords_MatchTheBitsOneByOne(int seed)
    {
        // 200 regions: three whole words and a partial one; runs that start, end and span word edges.
        const long Region = RegionBitmap.PreferredRegionSize;
        var b = new RegionBitmap((200 * Region) - 100);
        var random = new Random(seed);
        b.Mark(60 * Region, 70 * Region); // 60..129: ends a word, fills one, starts another
        for (var i = 0; i < 20; i++)
        {
            b.Mark(random.Next(0, 200) * Region, random.Next(1, 4) * Region);
        }
        b.Mark(199 * Region, 1);

        var expected = new List<(long, long)>();
        for (long r = 0; r < b.RegionCount; r++)
        {
            if (!b.IsSet(r))
            {
                continue;
            }
            if (expected.Count > 0 && expected[^1].Item2 == r * Region)
            {
                expected[^1] = (expected[^1].Item1, (r + 1) * Region);
            }
            else
            {
                expected.Add((r * Region, (r + 1) * Region));
            }
        }
        Assert.That(b.Ranges(), Is.EqualTo(expected));
        Assert.That(b.Ranges()[^1].End, Is.EqualTo(200 * Region));
    }

    [Test]
    public void RegionBitmap_HugeDisk_GrowsRegionsToBoundMemory()
    {
        var b = new RegionBitmap(1L << 62);
        Assert.That(b.RegionCount, Is.LessThanOrEqualTo(RegionBitmap.MaxBits));
        b.Mark((1L << 62) - 1, 1);
        Assert.That(b.SetCount, Is.EqualTo(1));
    }

    [Test]
    public void BlockCounters_SnapshotCountsBytesRequestsAndReadRanges()
    {
        var c = new BlockCounters(1 << 20);
        c.Request();
        c.Read(0, 4096);
        c.Written(200_000, 10);
        var s = c.Snapshot();
        Assert.That((s.BytesRead, s.BytesWritten, s.Requests, s.BlocksTouched), Is.EqualTo((4096L, 10L, 1L, 2L)));
        Assert.That(s.ReadRanges, Is.EqualTo(new[] { (0L, 65536L) }));
    }

    [Test]
    public void ExportCounters_KeepPerClientTotals()
    {
        var e = new ExportCounters("x", 1 << 20);
        e.Read(e.Client("10.0.0.1"), 0, 100);
        e.Read(e.Client("10.0.0.2"), 0, 50);
        Assert.That(e.Snapshot().BytesRead, Is.EqualTo(150));
        Assert.That(e.ClientSnapshots()["10.0.0.2"].BytesRead, Is.EqualTo(50));
    }
}
