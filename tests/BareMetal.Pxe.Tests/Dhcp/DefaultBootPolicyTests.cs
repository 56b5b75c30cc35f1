using System.Net;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Tests.Dhcp;

public class DefaultBootPolicyTests
{
    private static BootRequest Req(ClientArchitecture? arch, string vendor = "PXEClient:Arch:00000:UNDI:002001", bool ipxe = false) =>
        new("aa:bb:cc:dd:ee:ff", arch, ipxe ? ["iPXE"] : [], vendor, null, ipxe, IPAddress.Parse("192.168.1.2"));

    [TestCase(ClientArchitecture.IntelX86Pc, "undionly.kpxe")]
    [TestCase(ClientArchitecture.EfiX64, "ipxe.efi")]
    [TestCase(ClientArchitecture.EfiX86_64, "ipxe.efi")]
    public void Decide_ByArchitecture(ClientArchitecture arch, string file) =>
        Assert.That(new DefaultBootPolicy().Decide(Req(arch))!.BootFile, Is.EqualTo(file));

    [TestCase(ClientArchitecture.EfiIa32)]
    [TestCase(ClientArchitecture.EfiArm64)]
    [TestCase(ClientArchitecture.EfiArm32)]
    [TestCase(ClientArchitecture.EfiItanium)]
    [TestCase(null)]
    public void Decide_UnsupportedOrUnconfigured_IsNull(ClientArchitecture? arch) =>
        Assert.That(new DefaultBootPolicy().Decide(Req(arch)), Is.Null);

    [Test]
    public void Decide_Ipxe_IsScriptUrlWhateverTheArchitecture() =>
        Assert.That(new DefaultBootPolicy().Decide(Req(ClientArchitecture.EfiArm64, ipxe: true))!.BootFile, Is.EqualTo("http://192.168.1.2:8080/boot/aa:bb:cc:dd:ee:ff.ipxe"));

    [TestCase(ClientArchitecture.EfiX64Http, "http://192.168.1.2:8080/boot/ipxe.efi")]
    [TestCase(ClientArchitecture.EfiArm64Http, null)]
    public void Decide_HttpBoot_IsAFullUrl(ClientArchitecture arch, string? url) =>
        Assert.That(new DefaultBootPolicy().Decide(Req(arch, "HTTPClient:Arch:00016:UNDI:003001"))?.BootFile, Is.EqualTo(url));

    [Test]
    public void ArchitectureFromVendorClass_WhenOption93IsMissing()
    {
        Assert.That(BootRequest.ArchitectureFromVendorClass("PXEClient:Arch:00009:UNDI:003016"), Is.EqualTo(ClientArchitecture.EfiX86_64));
        Assert.That(BootRequest.ArchitectureFromVendorClass("PXEClient"), Is.Null);
        Assert.That(BootRequest.ArchitectureFromVendorClass("PXEClient:Arch:0000x"), Is.Null);
        Assert.That(BootRequest.ArchitectureFromVendorClass("PXEClient:Arch:99999"), Is.Null);
    }
}
