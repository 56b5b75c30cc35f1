using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.TestSupport;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.Provisioning.Tests.Pure;

public class ImageMapTests
{
    [Test]
    public void Compute_OnAQcow2_SplitsDataZeroAndHolesPerBucket()
    {
        using var dir = new TempDir("bm-map");
        var path = dir.File("m.qcow2");
        using (var disk = Qcow2Writer.Create(path, 4L << 20, 65536))
        {
            disk.Write(0, Enumerable.Repeat((byte)1, 1 << 20).ToArray()); // first quarter: data
        }
        using var opened = DiskImage.Open(path);
        var buckets = ImageMap.Compute(opened, 4);
        Assert.That(buckets.Select(b => (b.Start, b.Length, b.Data, b.Hole)), Is.EqualTo(new[]
        {
            (0L, 1L << 20, 1.0, 0.0), (1L << 20, 1L << 20, 0.0, 1.0), (2L << 20, 1L << 20, 0.0, 1.0), (3L << 20, 1L << 20, 0.0, 1.0),
        }));
    }

    [Test]
    public void Compute_ForAnyExtentsAndBucketCount_CoversTheDiskAndFractionsSumToOne()
    {
        var gen = from lengths in Gen.ListOf(Gen.Choose(1, 5000)).Where(l => l.Count > 0)
                  from kinds in Gen.ArrayOf(Gen.Choose(0, 2)).Where(k => k.Length >= lengths.Count)
                  from buckets in Gen.Choose(1, 300)
                  select (lengths, kinds, buckets);
        Prop.ForAll(Arb.From(gen), t =>
        {
            var extents = new List<DiskExtent>();
            long pos = 0;
            for (var i = 0; i < t.lengths.Count; i++)
            {
                var k = t.kinds[i];
                extents.Add(new DiskExtent(pos, t.lengths[i], 0, k != 2, k != 0, k == 0, null));
                pos += t.lengths[i];
            }
            var map = ImageMap.Compute(pos, extents, t.buckets);
            var data = extents.Where(e => e.Data).Sum(e => e.Length);
            return map[0].Start == 0 && map[^1].Start + map[^1].Length == pos
                && map.Zip(map.Skip(1)).All(p => p.First.Start + p.First.Length == p.Second.Start)
                && map.All(b => Math.Abs(b.Data + b.Zero + b.Hole - 1) < 1e-9 && b.Data >= 0 && b.Zero >= 0 && b.Hole >= -1e-9)
                && Math.Abs(map.Sum(b => b.Data * b.Length) - data) < 1e-6 * pos;
        }).QuickCheckThrowOnFailure();
    }
}
