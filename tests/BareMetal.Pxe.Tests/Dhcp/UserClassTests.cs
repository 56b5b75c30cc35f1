using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Tests.Dhcp;

public class UserClassTests
{
    [Test]
    public void Parse_IpxePlainString_IsOneItem() => Assert.That(UserClass.Parse("iPXE"u8), Is.EqualTo(new[] { "iPXE" }));

    [Test]
    public void Parse_Rfc3004Items_AreSplit() => Assert.That(UserClass.Parse(UserClass.Encode("iPXE", "lab")), Is.EqualTo(new[] { "iPXE", "lab" }));

    [Test]
    public void Parse_Empty_IsNoItems() => Assert.That(UserClass.Parse([]), Is.Empty);

    [Test]
    public void Parse_ZeroLengthItem_FallsBackToPlainString() => Assert.That(UserClass.Parse([0, 65]), Has.Count.EqualTo(1));
}
