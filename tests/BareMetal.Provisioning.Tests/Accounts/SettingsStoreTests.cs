using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Accounts;

public class SettingsStoreTests(StoreBackend backend) : StoreTestBase(backend)
{
    [Test]
    public async Task Settings_SetGetListRemove_AndSurviveRestart()
    {
        await Db.Settings.SetAsync(SettingKeys.DhcpMode, "proxy");
        await Db.Settings.SetAsync(SettingKeys.BootFileX64, "snponly.efi");
        await Db.Settings.SetAsync(SettingKeys.DhcpMode, "full");
        await ReopenAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await Db.Settings.GetAsync(SettingKeys.DhcpMode), Is.EqualTo("full"));
            Assert.That(await Db.Settings.ListAsync(), Has.Count.EqualTo(2));
            Assert.That(await Db.Settings.GetAsync("no.such"), Is.Null);
            Assert.That(await Db.Settings.GetAsync("BAD KEY"), Is.Null);
        });
        Assert.That(await Db.Settings.RemoveAsync(SettingKeys.DhcpMode), Is.True);
        Assert.That(await Db.Settings.RemoveAsync(SettingKeys.DhcpMode), Is.False);
    }

    [TestCase("dhcp.mode", "sometimes")]
    [TestCase("boot.stream.protocol", "nbd")]
    [TestCase("boot.file.bios", "../../etc/shadow")]
    [TestCase("boot.file.x64", "/etc/shadow")]
    [TestCase("Upper.Case", "x")]
    [TestCase("", "x")]
    [TestCase("k", "line\nbreak")]
    public void Settings_BadKeysAndValues_AreRefused(string key, string value)
    {
        var e = Assert.ThrowsAsync<CatalogException>(() => Db.Settings.SetAsync(key, value));
        Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Invalid));
    }

    [Test]
    public void Settings_OversizedValue_IsRefused() =>
        Assert.ThrowsAsync<CatalogException>(() => Db.Settings.SetAsync("notes", new string('v', SettingKeys.MaxValueLength + 1)));
}
