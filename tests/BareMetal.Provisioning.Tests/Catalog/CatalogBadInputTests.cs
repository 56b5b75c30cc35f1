using System.Buffers.Binary;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Catalog;

public class CatalogBadInputTests(StoreBackend backend) : StoreTestBase(backend)
{
    protected override long MaxImageBytes => 8L << 20;

    private async Task AssertNothingLeftAsync()
    {
        Assert.Multiple(async () =>
        {
            Assert.That(await Db.Catalog.ListAsync(), Is.Empty, "rows");
            Assert.That(Directory.EnumerateFiles(Path.Combine(DataDir, "images"), "*", SearchOption.AllDirectories), Is.Empty, "files");
        });
    }

    [Test]
    public async Task Import_CorruptQcow2_IsRefusedWithTheFormatsMessage_AndLeavesNothing()
    {
        var src = Path.Combine(DataDir, "src-bad.qcow2");
        Qcow2Writer.Create(src, 4L << 20).Dispose();
        var bytes = File.ReadAllBytes(src);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), 99); // cluster_bits: qcow2 allows 9..21
        File.WriteAllBytes(src, bytes);

        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportFileAsync(src, new ImageImportRequest("bad")));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Message, Does.StartWith("bad: qcow2: "));
            Assert.That(e.Message, Does.Not.Contain("\n"));
            Assert.That(e.Kind, Is.EqualTo(CatalogErrorKind.Invalid));
            Assert.That(e.Reason, Is.Not.Null);
        });
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Import_ImageWithBackingFileOutsideTheCatalog_IsRefused()
    {
        var baseFile = RawFile("base.img", 1 << 20);
        var src = Path.Combine(DataDir, "src", "overlay.qcow2");
        Qcow2Writer.Create(src, 1 << 20, backingFile: baseFile, backingFormat: ImageFormat.Raw).Dispose();
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportFileAsync(src, new ImageImportRequest("ovl")));
        Assert.That(e!.Message, Does.Contain("is outside the catalog").And.StartWith("ovl: qcow2: "));
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Import_VmdkDescriptorPointingAtOtherFiles_IsRefused()
    {
        // Its extent would resolve next to the upload: another user's .part, or later a stored image.
        var text = "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n" +
                   "RW 2048 FLAT \"victim.part\" 0\n";
        await File.WriteAllTextAsync(Path.Combine(DataDir, "images", ".incoming", "victim.part"), new string('s', 2048 * 512));
        await using var upload = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(text));
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportStreamAsync(upload, upload.Length, new ImageImportRequest("desc")));
        Assert.That(e!.Message, Does.StartWith("desc: vmdk: a descriptor file keeps its data in other files"));
        Assert.That(await Db.Catalog.ListAsync(), Is.Empty);
    }

    [Test]
    public async Task Import_UploadThatBreaksMidway_LeavesNothingVisible()
    {
        await using var upload = new BreakingStream(3 << 20, new IOException("connection reset by peer"));
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportStreamAsync(upload, 6 << 20, new ImageImportRequest("cut")));
        Assert.That(e!.Message, Does.Contain("upload failed after").And.Contain("connection reset by peer"));
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Import_UploadShorterThanAnnounced_IsRefused()
    {
        await using var upload = new MemoryStream(new byte[1 << 20]);
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportStreamAsync(upload, 2 << 20, new ImageImportRequest("short")));
        Assert.That(e!.Message, Is.EqualTo($"short: upload ended after {1 << 20} of {2 << 20} bytes"));
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Import_Cancelled_LeavesNothing()
    {
        using var cts = new CancellationTokenSource();
        await using var upload = new BreakingStream(long.MaxValue, null, afterBytes: 2 << 20, onReach: cts.Cancel);
        Assert.CatchAsync<OperationCanceledException>(() => Db.Catalog.ImportStreamAsync(upload, null, new ImageImportRequest("c"), null, cts.Token));
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Import_LargerThanAllowed_IsTooLarge_WhetherAnnouncedOrNot()
    {
        await using var announced = new MemoryStream(new byte[16]);
        var e1 = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportStreamAsync(announced, 9L << 20, new ImageImportRequest("big")));
        await using var unannounced = new BreakingStream(long.MaxValue, null);
        var e2 = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportStreamAsync(unannounced, null, new ImageImportRequest("big")));
        Assert.That((e1!.Kind, e2!.Kind), Is.EqualTo((CatalogErrorKind.TooLarge, CatalogErrorKind.TooLarge)));
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Import_EmptyFile_IsRefused()
    {
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportStreamAsync(new MemoryStream(), 0, new ImageImportRequest("empty")));
        Assert.That(e!.Message, Is.EqualTo("empty: the image is empty"));
        await AssertNothingLeftAsync();
    }

    [Test]
    public void Import_MissingSourceFile_IsAClearError()
    {
        var e = Assert.ThrowsAsync<ImageImportException>(() => Db.Catalog.ImportFileAsync(Path.Combine(DataDir, "nope.img"), new ImageImportRequest("x")));
        Assert.That(e!.Message, Does.Contain("nope.img: cannot read"));
    }

    [TestCase("")]
    [TestCase("../etc")]
    [TestCase("a/b")]
    [TestCase("a\\b")]
    [TestCase("deb@node")]
    [TestCase(".hidden")]
    [TestCase("-rf")]
    [TestCase("deb.v2")]
    [TestCase("with space")]
    [TestCase("caf\u00e9")]
    [TestCase("nul\0byte")]
    [TestCase("x%2F..")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Import_HostileName_IsRefusedBeforeAnyByteIsWritten(string name)
    {
        await using var upload = new BreakingStream(1 << 20, new InvalidOperationException("must not be read"));
        var e = Assert.ThrowsAsync<CatalogException>(() => Db.Catalog.ImportStreamAsync(upload, null, new ImageImportRequest(name)));
        Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Invalid));
        Assert.That(upload.Position, Is.Zero);
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Import_OversizedOrControlCharacterMetadata_IsRefused()
    {
        var src = RawFile("m", 4096);
        var cases = new[]
        {
            new ImageImportRequest("m", OsLabel: new string('x', CatalogLimits.MaxOsLabelLength + 1)),
            new ImageImportRequest("m", Notes: new string('x', CatalogLimits.MaxNotesLength + 1)),
            new ImageImportRequest("m", OsLabel: "two\nlines"),
            new ImageImportRequest("m", Notes: "bell\a"),
        };
        foreach (var request in cases)
        {
            var e = Assert.ThrowsAsync<CatalogException>(() => Db.Catalog.ImportFileAsync(src, request));
            Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Invalid), request.ToString());
        }
        Assert.ThrowsAsync<CatalogException>(async () =>
        {
            await Db.Catalog.ImportFileAsync(src, new ImageImportRequest("m"));
            await Db.Catalog.UpdateAsync("m", 1, new ImageMetadataUpdate(Notes: new string('n', CatalogLimits.MaxNotesLength + 1)));
        });
        Assert.That((await Db.Catalog.GetAsync("m"))!.Notes, Is.Empty);
    }

    /// <summary>Yields zeros up to <c>length</c>, then throws <c>error</c> (or ends when null).</summary>
    private sealed class BreakingStream(long length, Exception? error, long afterBytes = long.MaxValue, Action? onReach = null) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= afterBytes && onReach is not null)
            {
                onReach();
            }
            if (_position >= length)
            {
                return error is null ? 0 : throw error;
            }
            var n = (int)Math.Min(count, Math.Min(length - _position, 64 * 1024));
            buffer.AsSpan(offset, n).Clear();
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
