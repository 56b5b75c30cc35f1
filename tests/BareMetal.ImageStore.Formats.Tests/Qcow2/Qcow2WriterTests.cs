using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests.Qcow2;

public class Qcow2WriterTests
{
    [TestCase(512)]
    [TestCase(4096)]
    [TestCase(65536)]
    public void RandomWritesAndZeroes_ReadBackLikeAFlatModel_AndCheckClean(int clusterSize)
    {
        using var dir = new TempDir();
        var path = dir.File("w.qcow2");
        const int size = 3 << 20;
        var model = new byte[size];
        var rng = new Random(clusterSize);
        using (var disk = Qcow2Writer.Create(path, size, clusterSize))
        {
            for (var i = 0; i < 300; i++)
            {
                var off = rng.Next(size - 1);
                var len = rng.Next(1, Math.Min(3 * clusterSize, size - off));
                if (i % 5 == 4)
                {
                    disk.WriteZeroes(off, len);
                    model.AsSpan(off, len).Clear();
                }
                else
                {
                    var data = new byte[len];
                    rng.NextBytes(data);
                    disk.Write(off, data);
                    data.CopyTo(model, off);
                }
            }
            // Whole-cluster zeroing takes the zero-flag path.
            disk.WriteZeroes(clusterSize * 4L, clusterSize * 8L);
            model.AsSpan(clusterSize * 4, clusterSize * 8).Clear();
            var live = new byte[size];
            disk.Read(0, live);
            Assert.That(live.AsSpan().SequenceEqual(model), Is.True, "read while open");
            disk.Flush();
            var report = disk.Check();
            Assert.That(report.IsClean, Is.True, string.Join("\n", report.Findings));
        }
        using var reopened = DiskImage.Open(path);
        Assert.That(reopened.Format, Is.EqualTo(ImageFormat.Qcow2));
        var back = new byte[size];
        reopened.Read(0, back);
        Assert.That(back.AsSpan().SequenceEqual(model), Is.True, "read after reopen");
        Assert.That(reopened.Check().IsClean, Is.True);
    }

    [Test]
    public void Overlay_PartialClusterWrite_CopiesTheRestFromBacking()
    {
        using var dir = new TempDir();
        var basePath = dir.File("base.raw");
        var baseBytes = new byte[1 << 20];
        new Random(5).NextBytes(baseBytes);
        File.WriteAllBytes(basePath, baseBytes);
        var top = dir.File("top.qcow2");
        using (var disk = Qcow2Writer.Create(top, baseBytes.Length, 65536, "base.raw", ImageFormat.Raw))
        {
            disk.Write(70000, Qcow2TestImage.Fill(100, 0xee));
            disk.WriteZeroes(196608, 65536);
            disk.Flush();
        }
        using var reopened = DiskImage.Open(top);
        Assert.That(reopened.Backing, Is.Not.Null);
        var read = new byte[baseBytes.Length];
        reopened.Read(0, read);
        var expected = (byte[])baseBytes.Clone();
        expected.AsSpan(70000, 100).Fill(0xee);
        expected.AsSpan(196608, 65536).Clear();
        Assert.That(read.AsSpan().SequenceEqual(expected), Is.True);
        var map = reopened.Map().ToList();
        Assert.That(map.Single(e => e.Start == 65536).Depth, Is.EqualTo(0));
        Assert.That(map.Single(e => e.Start == 196608), Has.Property("Zero").True.And.Property("Depth").EqualTo(0));
        Assert.That(map.First().Depth, Is.EqualTo(1));
        var details = reopened.Describe();
        Assert.That(details.BackingFile, Is.EqualTo("base.raw"));
        Assert.That(details.BackingFormat, Is.EqualTo(ImageFormat.Raw));
    }

    [Test]
    public void OpenWritable_ExistingImage_AcceptsMoreWrites()
    {
        using var dir = new TempDir();
        var path = dir.File("re.qcow2");
        Qcow2TestImage.Create(path);
        using (var disk = DiskImage.Open(path, new OpenOptions { Writable = true }))
        {
            Assert.That(disk.CanWrite, Is.True);
            disk.Write(100_000, Qcow2TestImage.Fill(5000, 0x44));
            disk.Flush();
        }
        using var again = DiskImage.Open(path);
        var b = new byte[5000];
        again.Read(100_000, b);
        Assert.That(b.All(x => x == 0x44), Is.True);
        Assert.That(again.Check().IsClean, Is.True);
    }

    [Test]
    public void WriteZeroes_OnUnallocatedImage_AllocatesNothing()
    {
        using var dir = new TempDir();
        var path = dir.File("z.qcow2");
        using var disk = Qcow2Writer.Create(path, 64 << 20, 65536);
        var before = new FileInfo(path).Length;
        disk.WriteZeroes(0, disk.Length);
        disk.Flush();
        Assert.That(new FileInfo(path).Length, Is.EqualTo(before));
        Assert.That(disk.Map().Single(), Has.Property("Zero").True.And.Property("Present").False);
    }

    [Test]
    public void OpenWritable_WithRefcountsPastEndOfFile_AllocatesAfterThem()
    {
        using var dir = new TempDir();
        var path = dir.File("pre.qcow2");
        Qcow2TestImage.Create(path);
        var length = new FileInfo(path).Length;
        using (var file = FileSource.Open(path, writable: true))
        {
            // Claim the 4 clusters after the end of the file, as a preallocating writer might have.
            var header = new byte[Qcow2Header.V3WrittenLength];
            file.ReadExactlyOrZero(0, header);
            var h = Qcow2Header.Parse(header, file.Length, path);
            var rc = Qcow2Refcounts.Load(file, h);
            for (var c = length / 4096; c < (length / 4096) + 4; c++)
            {
                rc.Adjust(c, +1);
            }
        }
        using (var disk = DiskImage.Open(path, new OpenOptions { Writable = true }))
        {
            disk.Write(300_000, Qcow2TestImage.Fill(4096, 0x5a));
            disk.Flush();
        }
        using var again = DiskImage.Open(path);
        var report = again.Check();
        Assert.That(report.Corruptions, Is.EqualTo(0), string.Join("\n", report.Findings));
        // The 4 claimed clusters stay leaked; none was handed out a second time.
        Assert.That(report.Leaks, Is.EqualTo(4), string.Join("\n", report.Findings));
        Assert.That(report.Findings.Any(f => f.Message.Contains("refcount=2", StringComparison.Ordinal)), Is.False);
        var b = new byte[4096];
        again.Read(300_000, b);
        Assert.That(b.All(x => x == 0x5a), Is.True);
    }

    [Test]
    public void Write_OnReadOnlyOpen_IsRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("ro.qcow2");
        Qcow2TestImage.Create(path);
        using var disk = DiskImage.Open(path);
        var e = Assert.Throws<ImageFormatException>(() => disk.Write(0, new byte[10]));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.ReadOnly));
    }

    [Test]
    public void ConcurrentReaders_WhileWriting_SeeOldOrNewBytesOnly()
    {
        using var dir = new TempDir();
        var path = dir.File("c.qcow2");
        using var disk = Qcow2Writer.Create(path, 4 << 20, 4096);
        disk.Write(0, Qcow2TestImage.Fill(4 << 20, 0x01));
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(i => Task.Run(() =>
        {
            var buf = new byte[4096];
            var rng = new Random(i);
            while (!stop.IsCancellationRequested)
            {
                var off = rng.Next(1024) * 4096L;
                disk.Read(off, buf);
                if (buf.Any(x => x is not 0x01 and not 0x02))
                {
                    return false;
                }
            }
            return true;
        })).ToArray();
        for (var i = 0; i < 1024; i += 3)
        {
            disk.Write(i * 4096L, Qcow2TestImage.Fill(4096, 0x02));
        }
        stop.Cancel();
        Assert.That(Task.WhenAll(readers).Result, Is.All.True);
    }

    [Test]
    public void RefcountTable_Growth_KeepsEveryRefcount()
    {
        using var dir = new TempDir();
        var path = dir.File("rc.bin");
        using var file = FileSource.Create(path);
        // One 512-byte table cluster covers 64 blocks of 256 clusters: 16384 clusters force it to move.
        file.SetLength(1024);
        var rc = Qcow2Refcounts.CreateEmpty(file, 9, 4, 512, 1, 1024);
        rc.Adjust(0, 1);
        rc.Adjust(1, 1);
        for (var i = 0; i < 20000; i++)
        {
            rc.Allocate(1);
        }
        Assert.That(rc.TableOffset, Is.Not.EqualTo(512));
        Assert.That(rc.Get(0), Is.EqualTo(1UL));
        Assert.That(rc.Get(1), Is.EqualTo(0UL), "the old table cluster was released");
        var dataClusters = 0;
        for (long c = 2; c < rc.FileEnd >> 9; c++)
        {
            Assert.That(rc.Get(c), Is.EqualTo(1UL).Or.EqualTo(0UL), $"cluster {c}");
            dataClusters += (int)rc.Get(c);
        }
        Assert.That(dataClusters, Is.GreaterThanOrEqualTo(20000));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    public void RefcountEntries_RoundTripAtEveryWidth(int order)
    {
        var block = new byte[512];
        var entries = 512 * 8 >> order;
        var max = Qcow2Refcounts.MaxRefcount(order);
        for (var i = 0; i < entries; i++)
        {
            Qcow2Refcounts.SetEntry(block, i, order, (ulong)(i * 7) & max);
        }
        for (var i = 0; i < entries; i++)
        {
            Assert.That(Qcow2Refcounts.GetEntry(block, i, order), Is.EqualTo((ulong)(i * 7) & max), $"entry {i}");
        }
    }

    [Test]
    public void Create_WithBadClusterSize_IsRefused()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ImageFormatException>(() => Qcow2Writer.Create(dir.File("x.qcow2"), 1 << 20, 3000));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.SizeOutOfRange));
    }

    [Test]
    public void Create_OverAnExistingFile_ReplacesIt_AndLeavesOnlyTheFinishedImage()
    {
        using var dir = new TempDir();
        var path = dir.File("x.qcow2");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0x41, 8192).ToArray());
        using (var disk = Qcow2Writer.Create(path, 1 << 20))
        {
            disk.Write(0, new byte[] { 1, 2, 3 });
            disk.Flush();
        }
        // Built as x.qcow2.<guid>.creating and renamed: a kill mid-creation never leaves a half image under the real name.
        Assert.That(Directory.GetFiles(dir.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "x.qcow2" }));
        using var reopened = DiskImage.Open(path);
        Assert.That(reopened.Format, Is.EqualTo(ImageFormat.Qcow2));
        Assert.That(reopened.Check().Corruptions + reopened.Check().Leaks, Is.EqualTo(0));
    }

    [Test]
    public void Create_WithAMissingBackingFile_LeavesNoFileBehind()
    {
        using var dir = new TempDir();
        Assert.Throws<ImageFormatException>(() => Qcow2Writer.Create(dir.File("x.qcow2"), 1 << 20, backingFile: dir.File("gone.img"), backingFormat: ImageFormat.Raw));
        Assert.That(Directory.GetFiles(dir.Path), Is.Empty);
    }
}
