using BareMetal.ImageStore.Formats.Qcow2;

namespace BareMetal.ImageStore.Formats.Tests.Qcow2;

public class Qcow2L2CacheTests
{
    [Test]
    public void ManyTables_StayWithinTheBudget()
    {
        // 64 KiB tables, 1 MiB budget: 16 tables at most.
        var cache = new Qcow2L2Cache(65536, 1 << 20);
        for (var i = 0; i < 500; i++)
        {
            cache.AddLoaded(i * 65536L, new ulong[8192], cache.Version);
            Assert.That(cache.Count, Is.LessThanOrEqualTo(16));
        }
        Assert.That(cache.TryGet(499 * 65536L, out _), Is.True, "the newest table is kept");
    }

    [Test]
    public void TableLoadedBeforeAWriterPublished_IsNotInstalled()
    {
        var cache = new Qcow2L2Cache(4096);
        var versionBefore = cache.Version;
        var fresh = new ulong[512];
        fresh[3] = 42;
        cache.Publish(8192, fresh);
        cache.TryGet(8192, out var seen);
        Assert.That(seen[3], Is.EqualTo(42UL));
        // A reader that loaded the old table before the write must not replace the writer's copy.
        cache.AddLoaded(8192, new ulong[512], versionBefore);
        cache.TryGet(8192, out seen);
        Assert.That(seen[3], Is.EqualTo(42UL));
        // Nor install a stale copy once the writer's copy was evicted.
        var other = new Qcow2L2Cache(4096);
        var v = other.Version;
        other.Publish(4096, new ulong[512]);
        other.AddLoaded(12288, new ulong[512], v);
        Assert.That(other.TryGet(12288, out _), Is.False);
    }
}
