using System.Xml.Linq;
using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Web.WebConsole;

namespace BareMetal.Browser.Tests;

/// <summary>The details page's map picture, without a browser.</summary>
public sealed class AllocationMapSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Test]
    public void Render_DataZeroAndHoleBuckets_DrawSolidAndHatchedColumnsOnly()
    {
        var buckets = new[]
        {
            new ImageMapBucket(0, 100, Data: 1, Zero: 0, Hole: 0),
            new ImageMapBucket(100, 100, Data: 0, Zero: 1, Hole: 0),
            new ImageMapBucket(200, 100, Data: 0, Zero: 0, Hole: 1),
            new ImageMapBucket(300, 100, Data: 0.25, Zero: 0.5, Hole: 0.25),
        };

        var svg = XElement.Parse(AllocationMapSvg.Render(buckets, "summary"));

        var rects = svg.Elements(Svg + "rect").Where(r => r.Attribute("class") is not null).ToList();
        Assert.That(rects.Select(r => ((string)r.Attribute("class")!, (string)r.Attribute("x")!)),
            Is.EqualTo(new[] { ("data", "0"), ("zero", "1"), ("data", "3"), ("zero", "3") }));
        var partialData = rects[2];
        Assert.That((string)partialData.Attribute("height")!, Is.EqualTo("25"), "a quarter of the column");
        Assert.That((string)rects[3].Attribute("y")!, Is.EqualTo("25"), "zeros stack on top of the data");
        Assert.That((string)svg.Attribute("viewBox")!, Is.EqualTo("0 0 4 100"));
    }

    [Test]
    public void Render_HostileSummary_IsEscaped()
    {
        var text = AllocationMapSvg.Render([new ImageMapBucket(0, 1, 1, 0, 0)], "<script>alert(1)</script> & co");

        Assert.That(text, Does.Not.Contain("<script>"));
        Assert.That(XElement.Parse(text).Element(Svg + "title")!.Value, Is.EqualTo("<script>alert(1)</script> & co"));
    }

    [Test]
    public void Summary_WeighsBucketsByTheirLength()
    {
        var buckets = new[]
        {
            new ImageMapBucket(0, 300, Data: 1, Zero: 0, Hole: 0),
            new ImageMapBucket(300, 100, Data: 0, Zero: 0, Hole: 1),
        };

        Assert.That(AllocationMapSvg.Summary(buckets), Is.EqualTo("75 % data, 0 % zeros, 25 % holes"));
        Assert.That(AllocationMapSvg.Summary([]), Is.EqualTo("empty disk"));
    }
}
