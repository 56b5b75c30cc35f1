using System.Security.Cryptography;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Catalog;

/// <summary>Layered images: a delta is imported only when its chain ends in images of this catalog.</summary>
public class CatalogChainTests(StoreBackend backend) : StoreTestBase(backend)
{
    private const int Size = 4 << 20;

    private string SrcDir => Path.Combine(DataDir, "src");

    /// <summary>Imports a qcow2 base whose first 1 MiB holds 0x11, as "base" (so "images/base.v1.qcow2").</summary>
    private async Task<CatalogImage> ImportBaseAsync()
    {
        Directory.CreateDirectory(SrcDir);
        var src = Path.Combine(SrcDir, "base-src.qcow2");
        using (var disk = Qcow2Writer.Create(src, Size))
        {
            disk.Write(0, Fill(1 << 20, 0x11));
        }
        return await Db.Catalog.ImportFileAsync(src, new ImageImportRequest("base"));
    }

    /// <summary>
    /// A qcow2 delta naming <paramref name="backing"/>, written at 64 KiB with 0x22. The writer opens the
    /// backing file, so a copy of the catalog's base sits next to it under the same name.
    /// </summary>
    private string Delta(string fileName, string backing, CatalogImage? baseImage, ImageFormat backingFormat = ImageFormat.Qcow2)
    {
        Directory.CreateDirectory(SrcDir);
        if (baseImage is not null && !Path.IsPathRooted(backing))
        {
            File.Copy(Db.Catalog.GetFullPath(baseImage), Path.Combine(SrcDir, backing), overwrite: true);
        }
        var path = Path.Combine(SrcDir, fileName);
        using (var disk = Qcow2Writer.Create(path, Size, backingFile: backing, backingFormat: backingFormat))
        {
            disk.Write(64 << 10, Fill(64 << 10, 0x22));
        }
        return path;
    }

    private static byte[] Fill(int length, byte value)
    {
        var b = new byte[length];
        b.AsSpan().Fill(value);
        return b;
    }

    [Test]
    public async Task Import_DeltaOnCatalogImage_RecordsChainSizeAndHash_AndReadsThroughIt()
    {
        var baseImage = await ImportBaseAsync();
        var src = Delta("delta.qcow2", "base.v1.qcow2", baseImage);

        var delta = await Db.Catalog.ImportFileAsync(src, new ImageImportRequest("delta"));

        Assert.Multiple(() =>
        {
            Assert.That(delta.BackingChain, Is.EqualTo(new[] { "images/base.v1.qcow2" }));
            Assert.That(delta.VirtualSize, Is.EqualTo(Size));
            Assert.That(delta.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(src)))));
        });
        Assert.That((await Db.Catalog.GetAsync("delta"))!.BackingChain, Is.EqualTo(new[] { "images/base.v1.qcow2" }));
        // The relative name now resolves next to the stored file, in data/images.
        using var disk = DiskImage.Open(Db.Catalog.GetFullPath(delta));
        var buf = new byte[192 << 10];
        disk.Read(0, buf);
        Assert.Multiple(() =>
        {
            Assert.That(buf.AsSpan(0, 64 << 10).ToArray(), Is.All.EqualTo(0x11));
            Assert.That(buf.AsSpan(64 << 10, 64 << 10).ToArray(), Is.All.EqualTo(0x22));
            Assert.That(buf.AsSpan(128 << 10).ToArray(), Is.All.EqualTo(0x11));
        });
    }

    [Test]
    public async Task Import_TwoLevelChainAndAbsoluteNameIntoImages_AreAccepted()
    {
        var baseImage = await ImportBaseAsync();
        var mid = await Db.Catalog.ImportFileAsync(Delta("mid.qcow2", Db.Catalog.GetFullPath(baseImage), baseImage), new ImageImportRequest("mid"));
        var top = await Db.Catalog.ImportFileAsync(Delta("top.qcow2", "mid.v1.qcow2", mid), new ImageImportRequest("top"));
        Assert.That(top.BackingChain, Is.EqualTo(new[] { "images/mid.v1.qcow2", "images/base.v1.qcow2" }));
    }

    [Test]
    public async Task Import_BackingOutsideTheCatalog_IsRefusedNamingTheFile()
    {
        var outside = Path.Combine(SrcDir, "elsewhere.qcow2");
        Directory.CreateDirectory(SrcDir);
        Qcow2Writer.Create(outside, Size).Dispose();
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportFileAsync(Delta("d.qcow2", outside, null), new ImageImportRequest("d")));
        Assert.That(e!.Message, Does.StartWith("d: qcow2: d: backing file '" + outside + "' is outside the catalog"));
        Assert.That(e.Message, Does.Not.Contain("\n"));
        Assert.That(await Db.Catalog.ListAsync(), Is.Empty);
    }

    [Test]
    public async Task Import_BackingMissingFromTheCatalog_IsRefused()
    {
        var baseImage = await ImportBaseAsync();
        // Next to the upload there is a base.v7.qcow2, but the catalog has none.
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportFileAsync(Delta("d.qcow2", "base.v7.qcow2", baseImage), new ImageImportRequest("d")));
        Assert.That(e!.Message, Is.EqualTo("d: qcow2: d: backing file 'base.v7.qcow2' not found in the catalog (images/base.v7.qcow2)"));
    }

    [Test]
    public async Task Import_ChainThroughANonCatalogFile_IsRefusedNamingThatFile()
    {
        var baseImage = await ImportBaseAsync();
        // A file dropped into data/images by hand (no row) in the middle of the chain.
        File.Copy(Db.Catalog.GetFullPath(baseImage), Path.Combine(DataDir, "images", "stray.v1.qcow2"));
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportFileAsync(Delta("d.qcow2", "stray.v1.qcow2", baseImage), new ImageImportRequest("d")));
        Assert.That(e!.Message, Is.EqualTo("d: qcow2: d: backing file 'stray.v1.qcow2' is not a catalog image (images/stray.v1.qcow2 has no row)"));
    }

    [Test]
    public async Task Import_DeclaredBackingFormatDiffersFromTheCatalogs_IsRefused()
    {
        var baseImage = await ImportBaseAsync();
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportFileAsync(Delta("d.qcow2", "base.v1.qcow2", baseImage, ImageFormat.Raw), new ImageImportRequest("d")));
        Assert.That(e!.Message, Does.Contain("as raw, but base.v1 is qcow2"));
    }

    [Test]
    public async Task Delete_BaseOfALayeredImage_IsRefusedUntilTheLayerIsDeleted()
    {
        var baseImage = await ImportBaseAsync();
        await Db.Catalog.ImportFileAsync(Delta("delta.qcow2", "base.v1.qcow2", baseImage), new ImageImportRequest("delta"));

        var e = Assert.ThrowsAsync<ImageHasLayersException>(() => Db.Catalog.DeleteAsync("base", 1));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Conflict));
            Assert.That(e.Message, Is.EqualTo("image 'base' version 1 is the backing file of 1 image(s): delta.v1; delete those first"));
            Assert.That(File.Exists(Db.Catalog.GetFullPath(baseImage)), Is.True);
        });
        Assert.ThrowsAsync<ImageHasLayersException>(() => Db.Catalog.DeleteAsync("base"));

        await Db.Catalog.DeleteAsync("delta");
        await Db.Catalog.DeleteAsync("base", 1);
        Assert.That(await Db.Catalog.ListAsync(), Is.Empty);
    }

    [Test]
    public async Task Delete_AllVersionsWhereV2IsLayeredOnV1_IsAllowed()
    {
        var v1 = await ImportBaseAsync();
        await Db.Catalog.ImportFileAsync(Delta("v2.qcow2", "base.v1.qcow2", v1), new ImageImportRequest("base"));
        Assert.That((await Db.Catalog.DeleteAsync("base")).Count, Is.EqualTo(2));
    }
}
