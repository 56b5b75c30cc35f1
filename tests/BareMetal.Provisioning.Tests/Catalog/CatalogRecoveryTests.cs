using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Catalog;

/// <summary>What a crash (kill -9) or a hand edit can leave, and what the next open makes of it.</summary>
public class CatalogRecoveryTests(StoreBackend backend) : StoreTestBase(backend)
{
    [Test]
    public async Task Open_DeletesLeftoverPartialUploads()
    {
        var part = Path.Combine(DataDir, "images", ".incoming", "0123abcd.part");
        await File.WriteAllBytesAsync(part, new byte[4096]);
        await ReopenAsync();
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(part), Is.False);
            Assert.That(Db.Catalog.LastRecovery.PartialUploadsRemoved, Is.EqualTo(new[] { "0123abcd.part" }));
        });
    }

    [Test]
    public async Task Open_MovesACatalogNamedFileWithoutRowAside_AndLeavesOtherFilesAlone()
    {
        // A crash between the rename into place and the commit leaves exactly this.
        var orphan = Path.Combine(DataDir, "images", "deb.v7.qcow2");
        var foreign = Path.Combine(DataDir, "images", "dropped-by-hand.img");
        await File.WriteAllBytesAsync(orphan, new byte[512]);
        await File.WriteAllBytesAsync(foreign, new byte[512]);
        await ReopenAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(File.Exists(orphan), Is.False);
            Assert.That(File.Exists(Path.Combine(DataDir, "images", ".orphans", "deb.v7.qcow2")), Is.True);
            Assert.That(File.Exists(foreign), Is.True);
            Assert.That(Db.Catalog.LastRecovery.OrphanFilesMoved, Is.EqualTo(new[] { "deb.v7.qcow2" }));
            Assert.That(await Db.Catalog.ListAsync(), Is.Empty);
        });
        // And the version it would have had is free for a real import (no clash with the moved file).
        var image = await Db.Catalog.ImportFileAsync(RawFile("x", 4096), new ImageImportRequest("deb"));
        Assert.That(File.Exists(Db.Catalog.GetFullPath(image)), Is.True);
    }

    [Test]
    public async Task Open_MarksARowWhoseFileIsGoneMissing_AndReadyAgainWhenItIsBack()
    {
        var image = await Db.Catalog.ImportFileAsync(RawFile("g", 4096), new ImageImportRequest("gone"));
        var path = Db.Catalog.GetFullPath(image);
        var aside = path + ".aside";
        File.Move(path, aside);
        await ReopenAsync();
        Assert.Multiple(async () =>
        {
            Assert.That((await Db.Catalog.GetAsync("gone"))!.Status, Is.EqualTo(CatalogImageStatus.Missing));
            Assert.That(Db.Catalog.LastRecovery.MissingImages, Is.EqualTo(new[] { "gone.v1" }));
        });
        File.Move(aside, path);
        await ReopenAsync();
        Assert.Multiple(async () =>
        {
            Assert.That((await Db.Catalog.GetAsync("gone"))!.Status, Is.EqualTo(CatalogImageStatus.Ready));
            Assert.That(Db.Catalog.LastRecovery.FoundAgain, Is.EqualTo(new[] { "gone.v1" }));
        });
    }

    [Test]
    public async Task Open_OnAConsistentCatalog_ReportsClean_AndMigratesOnlyOnce()
    {
        await Db.Catalog.ImportFileAsync(RawFile("c", 4096), new ImageImportRequest("clean"));
        await ReopenAsync();
        await ReopenAsync();
        var applied = await Db.Database.AppliedMigrationsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(Db.Catalog.LastRecovery.IsClean, Is.True);
            Assert.That(applied, Is.Unique);
            Assert.That(applied, Has.Count.EqualTo(Core.ProvisioningDatabase.Migrations.Count()));
        });
    }

    [Test]
    public async Task Open_RefusesADatabaseWithANewerSchema()
    {
        await using (var s = await Db.Database.WriteAsync())
        {
            await s.ExecuteAsync("INSERT INTO schema_migrations (module, version, description, applied_at) VALUES ('catalog', 99, 'future', 0)", CancellationToken.None);
            await s.CommitAsync(CancellationToken.None);
        }
        var e = Assert.ThrowsAsync<InvalidOperationException>(ReopenAsync);
        Assert.That(e!.Message, Does.Contain("version 99, newer than this build knows"));
    }

    [Test]
    public async Task Delete_IsRefusedWhileANodeIsAssigned_LatestOrPinned()
    {
        await Db.Catalog.ImportFileAsync(RawFile("a", 4096), new ImageImportRequest("used"));
        await Db.Catalog.ImportFileAsync(RawFile("b", 4096), new ImageImportRequest("used"));
        await Db.Catalog.ImportFileAsync(RawFile("c", 4096), new ImageImportRequest("other"));
        await Db.Nodes.AddAsync(new NewNode("52:54:00:00:00:01"));
        await Db.Nodes.AddAsync(new NewNode("52:54:00:00:00:02"));
        await Db.Nodes.AssignAsync("52:54:00:00:00:01", new NodeAssignment("used", 1, NodeMode.Stream));

        var e = Assert.ThrowsAsync<ImageInUseException>(() => Db.Catalog.DeleteAsync("used", 1));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Conflict));
            Assert.That(e.Users, Is.EqualTo(new[] { "52:54:00:00:00:01" }));
            Assert.That(e.Message, Does.Contain("52:54:00:00:00:01"));
        });
        Assert.ThrowsAsync<ImageInUseException>(() => Db.Catalog.DeleteAsync("used"));
        await Db.Catalog.DeleteAsync("used", 2); // not the pinned version

        await Db.Nodes.AssignAsync("52:54:00:00:00:02", new NodeAssignment("other", null, NodeMode.Stream));
        Assert.ThrowsAsync<ImageInUseException>(() => Db.Catalog.DeleteAsync("other", 1)); // "latest" uses every version

        await Db.Nodes.UnassignAsync("52:54:00:00:00:01");
        await Db.Catalog.DeleteAsync("used");
        Assert.That(await Db.Catalog.GetAsync("used"), Is.Null);
    }

    [Test]
    public async Task DeleteRacingAnAssignment_NeverLeavesANodeOnAVanishedImage()
    {
        const string Mac = "52:54:00:00:00:42";
        await Db.Nodes.AddAsync(new NewNode(Mac));
        await using var other = await OpenAsync(); // a second server on the same database
        var outcomes = new HashSet<string>();
        for (var round = 0; round < 8; round++)
        {
            await Db.Nodes.UnassignAsync(Mac);
            await Db.Catalog.ImportFileAsync(RawFile($"race{round}", 4096), new ImageImportRequest("racy"));
            var assign = Task.Run(() => other.Nodes.AssignAsync(Mac, new NodeAssignment("racy", null, NodeMode.Stream)));
            var delete = Task.Run(() => Db.Catalog.DeleteAsync("racy"));
            string Outcome(Task t) => t.IsCompletedSuccessfully ? "ok" : t.Exception!.InnerException!.GetType().Name;
            try
            {
                await Task.WhenAll(assign, delete);
            }
            catch (CatalogException)
            {
            }
            outcomes.Add($"assign {Outcome(assign)}, delete {Outcome(delete)}");
            var node = await Db.Nodes.GetAsync(Mac);
            var image = await Db.Catalog.GetAsync("racy");
            Assert.That(node!.ImageName is null || image is not null, $"round {round}: node assigned to a deleted image ({string.Join("; ", outcomes)})");
            if (image is not null)
            {
                await Db.Nodes.UnassignAsync(Mac);
                await Db.Catalog.DeleteAsync("racy");
            }
        }
        Assert.That(outcomes, Is.SubsetOf(new[] { "assign ok, delete ImageInUseException", "assign ImageNotFoundException, delete ok" }));
    }
}
