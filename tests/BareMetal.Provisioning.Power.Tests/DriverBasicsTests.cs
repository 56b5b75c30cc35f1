using BareMetal.Provisioning.Power.Ipmi;
using BareMetal.Provisioning.Power.Manual;
using BareMetal.Provisioning.Power.Redfish;

namespace BareMetal.Provisioning.Power.Tests;

public class DriverBasicsTests
{
    [Test]
    public void Credentials_AndOptions_NeverShowThePassword()
    {
        var c = new BmcCredentials("admin", "Sup3r-S3cret");
        Assert.That(c.ToString(), Does.Contain("admin").And.Not.Contain("Sup3r-S3cret"));
        Assert.That($"{c}", Does.Not.Contain("Sup3r-S3cret"));
        Assert.That(new IpmiBmcOptions { Host = "10.0.0.5", Credentials = c }.ToString(), Does.Not.Contain("Sup3r-S3cret"));
        Assert.That(new RedfishBmcOptions { BaseUri = new Uri("https://10.0.0.5"), Credentials = c }.ToString(), Does.Not.Contain("Sup3r-S3cret"));
        Assert.That(new Redfish.Model.SessionCreate("admin", "Sup3r-S3cret").ToString(), Does.Not.Contain("Sup3r-S3cret"));
    }

    [Test]
    public async Task ManualDriver_InstructsTheOperator_AndNeverClaimsTheActionHappened()
    {
        await using var manual = new ManualPowerDriver("rack 3 slot 12");
        var ct = CancellationToken.None;
        Assert.That(await manual.GetPowerStateAsync(ct), Is.EqualTo(PowerState.Unknown));
        foreach (var result in new[]
                 {
                     await manual.PowerOnAsync(ct), await manual.PowerOffAsync(ct), await manual.SoftOffAsync(ct), await manual.CycleAsync(ct),
                     await manual.SetNextBootAsync(BootDevice.Network, false, ct), await manual.SetNextBootAsync(BootDevice.Disk, true, ct),
                 })
        {
            Assert.That(result.Performed, Is.False);
            Assert.That(result.OperatorInstruction, Does.Contain("rack 3 slot 12"));
        }
        Assert.That((await manual.SetNextBootAsync(BootDevice.Network, false, ct)).OperatorInstruction, Does.Contain("PXE"));
    }

    [Test]
    public void PowerException_TransientOnlyForUnreachableAndBusy()
    {
        var transient = Enum.GetValues<PowerFailure>().Where(f => new PowerException(f, "x").IsTransient);
        Assert.That(transient, Is.EquivalentTo(new[] { PowerFailure.Unreachable, PowerFailure.Busy }));
    }

    [Test]
    public void RedfishPinnedWithoutAFingerprint_IsRefusedAtConstruction() =>
        Assert.Throws<ArgumentException>(() => _ = new RedfishPowerDriver(new RedfishBmcOptions
        {
            BaseUri = new Uri("https://10.0.0.5"),
            Credentials = new BmcCredentials("a", "b"),
            Tls = RedfishTlsMode.Pinned,
        }));
}
