using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Formats.Tests;

/// <summary>
/// ImageFormat values are stored in the catalog. If this test fails you renumbered or removed a
/// value: put it back, and add new formats with new numbers at the end.
/// </summary>
public class PersistedEnumStabilityTests
{
    [Test]
    public void ImageFormat_ValuesNeverChange()
    {
        var expected = new Dictionary<string, int>
        {
            ["Raw"] = 0,
            ["Qcow2"] = 1,
            ["Vhd"] = 2,
            ["Vhdx"] = 3,
            ["Vmdk"] = 4,
            ["Iso"] = 5,
        };
        var actual = Enum.GetValues<ImageFormat>().ToDictionary(v => v.ToString(), v => (int)v);
        Assert.That(actual, Is.EquivalentTo(expected));
    }
}
