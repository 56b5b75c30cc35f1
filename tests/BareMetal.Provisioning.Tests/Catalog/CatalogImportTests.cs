using System.Security.Cryptography;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Catalog;

public class CatalogImportTests(StoreBackend backend) : StoreTestBase(backend)
{
    [Test]
    public async Task ImportFile_Raw_RecordsFormatSizesHashAndPath()
    {
        var src = RawFile("disk.img", 3 << 20);
        var image = await Db.Catalog.ImportFileAsync(src, new ImageImportRequest("tiny", "Test OS 1", "first\nline"));

        Assert.Multiple(() =>
        {
            Assert.That(image.Name, Is.EqualTo("tiny"));
            Assert.That(image.Version, Is.EqualTo(1));
            Assert.That(image.Format, Is.EqualTo(ImageFormat.Raw));
            Assert.That(image.VirtualSize, Is.EqualTo(3 << 20));
            Assert.That(image.FileSize, Is.EqualTo(3 << 20));
            Assert.That(image.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(src)))));
            Assert.That(image.RelativePath, Is.EqualTo("images/tiny.v1.img"));
            Assert.That(image.ExportName, Is.EqualTo("tiny.v1"));
            Assert.That(image.ImportedAt, Is.EqualTo(Time.GetUtcNow()));
            Assert.That(image.OsLabel, Is.EqualTo("Test OS 1"));
            Assert.That(image.Notes, Is.EqualTo("first\nline"));
            Assert.That(File.ReadAllBytes(Db.Catalog.GetFullPath(image)), Is.EqualTo(File.ReadAllBytes(src)));
        });
        var again = await Db.Catalog.GetAsync("tiny");
        Assert.That(again, Is.EqualTo(image).Using<CatalogImage>(SameImage));
    }

    [Test]
    public async Task ImportFile_Qcow2_DetectsFormatClusterSizeAndVirtualSize()
    {
        var src = Path.Combine(DataDir, "src.qcow2");
        using (var disk = Qcow2Writer.Create(src, 16L << 20, clusterSize: 65536))
        {
            disk.Write(1 << 20, new byte[4096]);
        }
        var image = await Db.Catalog.ImportFileAsync(src, new ImageImportRequest("q"));
        Assert.Multiple(() =>
        {
            Assert.That(image.Format, Is.EqualTo(ImageFormat.Qcow2));
            Assert.That(image.FormatName, Is.EqualTo("qcow2"));
            Assert.That(image.ClusterSize, Is.EqualTo(65536));
            Assert.That(image.VirtualSize, Is.EqualTo(16L << 20));
            Assert.That(image.RelativePath, Is.EqualTo("images/q.v1.qcow2"));
            Assert.That(image.BackingChain, Is.Empty);
        });
    }

    [Test]
    public async Task ImportStream_MonolithicSparseVmdk_IsAccepted()
    {
        var vmdk = new BareMetal.ImageStore.Formats.Testing.Vmdk.VmdkTestImage();
        vmdk.Grains[0] = vmdk.Pattern(1);
        var bytes = vmdk.Build();
        await using var upload = new MemoryStream(bytes);
        var image = await Db.Catalog.ImportStreamAsync(upload, bytes.Length, new ImageImportRequest("vm"));
        Assert.That((image.Format, image.VirtualSize, image.RelativePath), Is.EqualTo((ImageFormat.Vmdk, 2L << 20, "images/vm.v1.vmdk")));
    }

    [Test]
    public async Task Import_ExistingName_GetsNextVersion_AndGetWithoutVersionIsNewest()
    {
        var v1 = await Db.Catalog.ImportFileAsync(RawFile("a", 1 << 20, 1), new ImageImportRequest("deb"));
        var v2 = await Db.Catalog.ImportFileAsync(RawFile("b", 1 << 20, 2), new ImageImportRequest("deb"));
        Assert.Multiple(async () =>
        {
            Assert.That((v1.Version, v2.Version), Is.EqualTo((1, 2)));
            Assert.That((await Db.Catalog.GetAsync("deb"))!.Version, Is.EqualTo(2));
            Assert.That((await Db.Catalog.GetAsync("deb", 1))!.Sha256, Is.EqualTo(v1.Sha256));
            Assert.That(await Db.Catalog.GetAsync("deb", 3), Is.Null);
            Assert.That((await Db.Catalog.ListAsync("deb")).Select(i => i.Version), Is.EqualTo(new[] { 2, 1 }));
            Assert.That((await Db.Catalog.GetByIdAsync(v1.Id))!.Version, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Import_ConcurrentImportsOfOneName_GetDistinctConsecutiveVersions()
    {
        await Db.Catalog.ImportFileAsync(RawFile("seed", 4096), new ImageImportRequest("race"));
        var files = Enumerable.Range(0, 4).Select(i => RawFile($"r{i}", 1 << 20, (byte)i)).ToArray();
        // Two database handles, as two servers sharing one catalog would have.
        await using var other = await OpenAsync();
        var imports = files.Select((f, i) => (i % 2 == 0 ? Db.Catalog : other.Catalog).ImportFileAsync(f, new ImageImportRequest("race")));
        var done = await Task.WhenAll(imports);
        Assert.That(done.Select(d => d.Version).Order(), Is.EqualTo(new[] { 2, 3, 4, 5 }));
        Assert.That((await Db.Catalog.ListAsync("race")).Select(i => i.Version), Is.EqualTo(new[] { 5, 4, 3, 2, 1 }));
        foreach (var image in done)
        {
            Assert.That(File.Exists(Db.Catalog.GetFullPath(image)), image.ExportName);
        }
    }

    [Test]
    public async Task Import_ReportsProgressPhasesInOrder()
    {
        var seen = new List<ImportProgress>();
        var progress = new SyncProgress(seen.Add);
        await Db.Catalog.ImportFileAsync(RawFile("p", 9 << 20), new ImageImportRequest("p"), progress);
        Assert.Multiple(() =>
        {
            Assert.That(seen.Select(p => p.Phase).Distinct(), Is.EqualTo(new[] { ImportPhase.Receiving, ImportPhase.Verifying, ImportPhase.Committing, ImportPhase.Done }));
            Assert.That(seen.Select(p => p.Bytes), Is.Ordered);
            Assert.That(seen[^1].Percent, Is.EqualTo(100.0));
        });
    }

    [Test]
    public async Task Update_ChangesLabelAndNotes_AndSurvivesRestart()
    {
        await Db.Catalog.ImportFileAsync(RawFile("u", 4096), new ImageImportRequest("u", "old"));
        await Db.Catalog.UpdateAsync("u", 1, new ImageMetadataUpdate(Notes: "new notes"));
        await ReopenAsync();
        var image = await Db.Catalog.GetAsync("u");
        Assert.That((image!.OsLabel, image.Notes), Is.EqualTo(("old", "new notes")));
        Assert.ThrowsAsync<ImageNotFoundException>(() => Db.Catalog.UpdateAsync("u", 2, new ImageMetadataUpdate("x")));
    }

    [Test]
    public async Task Delete_RemovesRowAndFile_UnknownIsNotFound_AndVersionsAreNeverReused()
    {
        var v1 = await Db.Catalog.ImportFileAsync(RawFile("d1", 4096), new ImageImportRequest("d"));
        var v2 = await Db.Catalog.ImportFileAsync(RawFile("d2", 4096), new ImageImportRequest("d"));
        var deleted = await Db.Catalog.DeleteAsync("d", 1);
        Assert.Multiple(async () =>
        {
            Assert.That(deleted.Select(i => i.Version), Is.EqualTo(new[] { 1 }));
            Assert.That(File.Exists(Db.Catalog.GetFullPath(v1)), Is.False);
            Assert.That(File.Exists(Db.Catalog.GetFullPath(v2)), Is.True);
            Assert.That((await Db.Catalog.GetAsync("d"))!.Version, Is.EqualTo(2));
        });
        await Db.Catalog.DeleteAsync("d");
        Assert.That(await Db.Catalog.ListAsync(), Is.Empty);
        var e = Assert.ThrowsAsync<ImageNotFoundException>(() => Db.Catalog.DeleteAsync("d"));
        Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.NotFound));
        // Never reused: an overlay "d.v1@node" left from the old d.v1 must not sit on new content.
        Assert.That((await Db.Catalog.ImportFileAsync(RawFile("d3", 4096), new ImageImportRequest("d"))).Version, Is.EqualTo(3));
    }

    [Test]
    public async Task Changed_IsRaisedAfterImportUpdateAndDelete()
    {
        var kinds = new List<ImageChangeKind>();
        Db.Catalog.Changed += (_, c) => kinds.Add(c.Kind);
        await Db.Catalog.ImportFileAsync(RawFile("c", 4096), new ImageImportRequest("c"));
        await Db.Catalog.UpdateAsync("c", 1, new ImageMetadataUpdate("x"));
        await Db.Catalog.DeleteAsync("c");
        Assert.That(kinds, Is.EqualTo(new[] { ImageChangeKind.Imported, ImageChangeKind.Updated, ImageChangeKind.Deleted }));
    }

    internal static bool SameImage(CatalogImage a, CatalogImage b) =>
        a with { BackingChain = [] } == b with { BackingChain = [] } && a.BackingChain.SequenceEqual(b.BackingChain);

    /// <summary>IProgress that reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    internal sealed class SyncProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }
}
