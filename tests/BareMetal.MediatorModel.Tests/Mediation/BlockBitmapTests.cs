using BareMetal.MediatorModel.Simulation.Mediation;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.MediatorModel.Tests.Mediation;

public class BlockBitmapTests
{
    [Test]
    public void SetAndGet_AgreeWithASet_ForAnySequence()
    {
        var gen = Gen.ListOf(Gen.Choose(0, 100_000)).Select(l => l.ToArray());
        Prop.ForAll(gen.ToArbitrary(), blocks =>
        {
            var bitmap = new BlockBitmap(100_001);
            var reference = new HashSet<long>();
            foreach (var b in blocks)
            {
                bitmap.Set(b);
                reference.Add(b);
            }

            return bitmap.SetCount == reference.Count && blocks.All(b => bitmap.Get(b)) && !Enumerable.Range(0, 1000).Any(i => bitmap.Get(i) != reference.Contains(i));
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void FullPage_CollapsesAndStaysFull()
    {
        var bitmap = new BlockBitmap(1 << 16);
        bitmap.SetRange(0, 1 << 15);
        bitmap.Set(5);
        Assert.Multiple(() =>
        {
            Assert.That(bitmap.AllSet(0, 1 << 15), Is.True);
            Assert.That(bitmap.Get(1 << 15), Is.False);
            Assert.That(bitmap.SetCount, Is.EqualTo(1 << 15));
        });
    }

    [Test]
    public void SetRangeAndNext_AgreeWithASet_ForAnyRanges()
    {
        const int size = 3 * 32768;
        var gen = Gen.ListOf(Gen.Choose(0, size - 1).SelectMany(a => Gen.Choose(0, 70000).Select(n => (First: a, Count: Math.Min(n, size - a))))).Select(l => l.ToArray());
        Prop.ForAll(gen.ToArbitrary(), ranges =>
        {
            var bitmap = new BlockBitmap(size);
            var reference = new bool[size];
            foreach (var (first, count) in ranges)
            {
                bitmap.SetRange(first, count);
                Array.Fill(reference, true, first, count);
            }

            for (var probe = 0; probe < size; probe += 997)
            {
                var nextSet = Array.IndexOf(reference, true, probe);
                var nextClear = Array.IndexOf(reference, false, probe);
                if (bitmap.Next(true, probe, size) != (nextSet < 0 ? size : nextSet) || bitmap.Next(false, probe, size) != (nextClear < 0 ? size : nextClear))
                {
                    return false;
                }
            }

            return bitmap.SetCount == reference.Count(x => x);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100));
    }
}
