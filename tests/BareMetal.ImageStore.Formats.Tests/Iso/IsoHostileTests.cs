using System.Buffers.Binary;
using BareMetal.ImageStore.Formats.Iso;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Iso;

/// <summary>Corrupt ISOs: each gives one specific ImageFormatException (format iso9660).</summary>
public class IsoHostileTests
{
    private const int S = IsoTestImage.Sector;

    private static ImageFormatException Refusal(byte[] bytes, Action<IsoFileSystem>? act = null)
    {
        using var dir = new TempDir();
        var path = dir.File("test.iso");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ImageFormatException>(() =>
        {
            using var disk = DiskImage.Open(path, new OpenOptions { Format = ImageFormat.Iso });
            var fs = IsoFileSystem.Open(disk, preferJoliet: false);
            (act ?? (f => f.Walk().ToList()))(fs);
        });
        Assert.That(e!.Message, Does.StartWith(path + ": iso9660: "));
        return e;
    }

    [Test]
    public void TruncatedDescriptorSet_IsRefused()
    {
        var bytes = IsoTestImage.Build()[..((17 * S) + 100)];
        Assert.That(Refusal(bytes).Reason, Is.EqualTo(ImageError.Truncated));
    }

    [Test]
    public void MissingPrimaryDescriptor_IsRefused()
    {
        var bytes = IsoTestImage.Build();
        bytes[16 * S] = 3;
        Assert.That(Refusal(bytes).Problem, Does.Contain("no primary volume descriptor"));
    }

    [Test]
    public void BadBlockSize_IsRefused()
    {
        var bytes = IsoTestImage.Build();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((16 * S) + 128), 3000);
        Assert.That(Refusal(bytes).Reason, Is.EqualTo(ImageError.SizeOutOfRange));
    }

    [Test]
    public void DirectoryLoop_IsRefusedByWalk()
    {
        var bytes = IsoTestImage.Build(joliet: false);
        // DIR's record in the root points DIR at the root itself.
        var root = bytes.AsSpan(IsoTestImage.PrimaryRoot * S);
        var dirRecord = 34 + 34;
        BinaryPrimitives.WriteUInt32LittleEndian(root[(dirRecord + 2)..], IsoTestImage.PrimaryRoot);
        var e = Refusal(bytes);
        Assert.That(e.Reason, Is.EqualTo(ImageError.BadHeader));
        Assert.That(e.Problem, Does.Contain("directory loop"));
    }

    [Test]
    public void SelfNestedDirectory_IsBoundedWhenResolvingDeepPaths()
    {
        var bytes = IsoTestImage.Build(joliet: false);
        var root = bytes.AsSpan(IsoTestImage.PrimaryRoot * S);
        BinaryPrimitives.WriteUInt32LittleEndian(root[(68 + 2)..], IsoTestImage.PrimaryRoot);
        var deep = string.Concat(Enumerable.Repeat("/DIR", 300));
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.iso"), bytes);
        using var disk = DiskImage.Open(dir.File("x.iso"));
        var fs = IsoFileSystem.Open(disk, preferJoliet: false);
        Assert.Throws<FileNotFoundException>(() => fs.Stat(deep));
    }

    [Test]
    public void FileExtentPastEnd_IsRefused()
    {
        var bytes = IsoTestImage.Build(joliet: false);
        var hello = (IsoTestImage.PrimaryRoot * S) + 34 + 34 + 36;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(hello + 2), 1_000_000);
        var e = Refusal(bytes);
        Assert.That(e.Reason, Is.EqualTo(ImageError.PointerOutOfRange));
        Assert.That(e.Problem, Does.Contain("/HELLO.TXT"));
    }

    [Test]
    public void RootExtentPastEnd_IsRefusedAtOpen()
    {
        var bytes = IsoTestImage.Build();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((16 * S) + 156 + 10), 0x7fffffff);
        Assert.That(Refusal(bytes, _ => { }).Reason, Is.EqualTo(ImageError.PointerOutOfRange));
    }

    [Test]
    public void RecordLengthTooShort_IsRefused()
    {
        var bytes = IsoTestImage.Build(joliet: false);
        bytes[(IsoTestImage.PrimaryRoot * S) + 68] = 20;
        Assert.That(Refusal(bytes).Problem, Does.Contain("directory record length 20"));
    }

    [Test]
    public void NameLongerThanRecord_IsRefused()
    {
        var bytes = IsoTestImage.Build(joliet: false);
        bytes[(IsoTestImage.PrimaryRoot * S) + 68 + 32] = 200;
        Assert.That(Refusal(bytes).Problem, Does.Contain("identifier length 200"));
    }

    [Test]
    public void BadElToritoChecksum_IsRefused()
    {
        var bytes = IsoTestImage.Build();
        bytes[(IsoTestImage.Catalog * S) + 4] ^= 0x20;
        var e = Refusal(bytes, _ => { });
        Assert.That(e.Reason, Is.EqualTo(ImageError.BadChecksum));
    }

    [Test]
    public void BadElToritoKeyBytes_AreRefused()
    {
        var bytes = IsoTestImage.Build();
        bytes[(IsoTestImage.Catalog * S) + 31] = 0;
        Assert.That(Refusal(bytes, _ => { }).Reason, Is.EqualTo(ImageError.BadHeader));
    }

    [Test]
    public void BootImagePastEnd_IsRefused()
    {
        var bytes = IsoTestImage.Build();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((IsoTestImage.Catalog * S) + 96 + 8), 0x00ffffff);
        Assert.That(Refusal(bytes, _ => { }).Reason, Is.EqualTo(ImageError.PointerOutOfRange));
    }

    [Test]
    public void SectionPromisingMoreEntriesThanTheCatalogHolds_IsRefused()
    {
        var bytes = IsoTestImage.Build();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((IsoTestImage.Catalog * S) + 66), 60000);
        // The sectors after the catalog hold directory records whose first bytes are not boot indicators.
        var e = Refusal(bytes, _ => { });
        Assert.That(e.Reason, Is.AnyOf(ImageError.Truncated, ImageError.BadHeader, ImageError.PointerOutOfRange));
    }

    [Test]
    public void CatalogPointerPastEnd_IsRefused()
    {
        var bytes = IsoTestImage.Build();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((17 * S) + 71), 0x7fffffff);
        Assert.That(Refusal(bytes, _ => { }).Reason, Is.EqualTo(ImageError.PointerOutOfRange));
    }

    [Test]
    public void UnfinishedMultiExtentFile_IsRefused()
    {
        var bytes = IsoTestImage.Build(joliet: false);
        // Flag the last record (MULTI.BIN's final extent) as "more follow".
        var last = (IsoTestImage.PrimaryRoot * S) + 34 + 34 + 36 + 44 + 44 + 25;
        bytes[last] = 0x80;
        Assert.That(Refusal(bytes).Problem, Does.Contain("no final extent"));
    }
}
