using BareMetal.ImageStore.Nbd.Http;

namespace BareMetal.ImageStore.Nbd.Tests;

public class ByteRangeTests
{
    [TestCase(null, RangeKind.Whole, 0, 999)]
    [TestCase("bytes=0-511", RangeKind.Partial, 0, 511)]
    [TestCase("bytes=512-", RangeKind.Partial, 512, 999)]
    [TestCase("bytes=-100", RangeKind.Partial, 900, 999)]
    [TestCase("bytes=900-5000", RangeKind.Partial, 900, 999)]
    [TestCase("bytes=1000-", RangeKind.Unsatisfiable, 0, 0)]
    [TestCase("bytes=-0", RangeKind.Unsatisfiable, 0, 0)]
    [TestCase("bytes=5-1", RangeKind.Whole, 0, 999)]
    [TestCase("bytes=0-1,5-6", RangeKind.Whole, 0, 999)]
    [TestCase("items=0-1", RangeKind.Whole, 0, 999)]
    [TestCase("bytes=99999999999999999999-", RangeKind.Whole, 0, 999)]
    [TestCase("bytes=a-b", RangeKind.Whole, 0, 999)]
    public void Parse_FollowsRfc9110(string? header, RangeKind kind, long start, long end)
    {
        Assert.That(ByteRange.Parse(header, 1000), Is.EqualTo(new ByteRange(kind, start, end)));
    }
}
