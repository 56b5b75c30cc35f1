using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Accounts;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Accounts;

public class AccountStoreTests(StoreBackend backend) : StoreTestBase(backend)
{
    [Test]
    public async Task AdminPassword_IsSetOnceAtFirstRun_ReplacedOnlyOnRequest()
    {
        Assert.That(await Db.Accounts.HasAdminPasswordAsync(), Is.False);
        Assert.That(await Db.Accounts.VerifyAdminPasswordAsync("anything"), Is.False);
        Assert.That(await Db.Accounts.SetAdminPasswordAsync("correct horse", replace: false), Is.True);
        Assert.That(await Db.Accounts.SetAdminPasswordAsync("second try!", replace: false), Is.False);
        Assert.Multiple(async () =>
        {
            Assert.That(await Db.Accounts.VerifyAdminPasswordAsync("correct horse"), Is.True);
            Assert.That(await Db.Accounts.VerifyAdminPasswordAsync("second try!"), Is.False);
            Assert.That(await Db.Accounts.VerifyAdminPasswordAsync(new string('x', 100_000)), Is.False);
        });
        Assert.That(await Db.Accounts.SetAdminPasswordAsync("second try!", replace: true), Is.True);
        await ReopenAsync();
        Assert.That(await Db.Accounts.VerifyAdminPasswordAsync("second try!"), Is.True);
        var e = Assert.ThrowsAsync<CatalogException>(() => Db.Accounts.SetAdminPasswordAsync("short", replace: true));
        Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Invalid));
    }

    [Test]
    public async Task AdminPassword_IsStoredAsASaltedPbkdf2Hash()
    {
        await Db.Accounts.SetAdminPasswordAsync("correct horse", replace: false);
        await using var s = await Db.Database.ReadAsync();
        var stored = (string)(await s.ScalarAsync("SELECT hash FROM admin_password", CancellationToken.None))!;
        Assert.That(stored, Does.StartWith("pbkdf2-sha256$1000$").And.Not.Contain("correct horse"));
        Assert.That(PasswordHasher.Hash("correct horse", 1000), Is.Not.EqualTo(stored), "a fresh salt every time");
    }

    [Test]
    public async Task Tokens_AreShownOnce_StoredHashed_ValidatedAndRevocable()
    {
        var created = await Db.Accounts.CreateTokenAsync("ci");
        Assert.That(created.Secret, Does.StartWith("bm_").And.Length.EqualTo(46));
        Time.Advance(TimeSpan.FromMinutes(2));
        var seen = await Db.Accounts.ValidateTokenAsync(created.Secret);
        Assert.Multiple(() =>
        {
            Assert.That(seen!.Name, Is.EqualTo("ci"));
            Assert.That(seen.LastUsedAt, Is.EqualTo(Time.GetUtcNow()));
        });
        await using (var s = await Db.Database.ReadAsync())
        {
            var rows = await s.QueryAsync("SELECT name, token_sha256 FROM api_tokens", r => r.GetString(0) + r.GetString(1), CancellationToken.None);
            Assert.That(rows.Single(), Does.Not.Contain(created.Secret[3..]));
        }
        Assert.Multiple(async () =>
        {
            Assert.That(await Db.Accounts.ValidateTokenAsync(created.Secret + "x"), Is.Null);
            Assert.That(await Db.Accounts.ValidateTokenAsync("bm_" + new string('A', 43)), Is.Null);
            Assert.That(await Db.Accounts.ValidateTokenAsync(""), Is.Null);
        });
        var dup = Assert.ThrowsAsync<CatalogException>(() => Db.Accounts.CreateTokenAsync("ci"));
        Assert.That(dup!.Kind, Is.EqualTo(CatalogErrorKind.Conflict));
        Assert.That(await Db.Accounts.RevokeTokenAsync(created.Token.Id), Is.True);
        Assert.That(await Db.Accounts.RevokeTokenAsync(created.Token.Id), Is.False);
        Assert.That(await Db.Accounts.ValidateTokenAsync(created.Secret), Is.Null);
        var again = await Db.Accounts.CreateTokenAsync("ci");
        Assert.That((await Db.Accounts.ListTokensAsync()).Select(t => (t.Name, t.IsRevoked)), Is.EqualTo(new[] { ("ci", true), ("ci", false) }));
        Assert.That(again.Secret, Is.Not.EqualTo(created.Secret));
        Assert.ThrowsAsync<CatalogException>(() => Db.Accounts.CreateTokenAsync("  "));
        Assert.ThrowsAsync<CatalogException>(() => Db.Accounts.CreateTokenAsync(new string('n', 65)));
    }
}
