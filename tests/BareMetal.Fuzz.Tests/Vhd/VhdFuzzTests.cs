using System.Diagnostics;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Vhd;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.Vhd;

/// <summary>
/// Mutates valid VHD images (footers, dynamic header, BAT, locators, bitmaps; with and without
/// repaired checksums). 100,000 cases run the whole header/BAT validation over the mutated bytes in
/// memory; a few thousand more open the mutated file and describe, map and read it. The only
/// acceptable failure is an ImageFormatException.
/// </summary>
public class VhdFuzzTests
{
    private const int LayoutCases = 100_000;
    private const int FileCases = 3_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(50);

    private static byte[] Sector(byte v) => Enumerable.Repeat(v, 512).ToArray();

    private static (byte[][] Seeds, VhdImageBuilder Parent) Seeds()
    {
        var parent = new VhdImageBuilder { VirtualSize = 1 << 20, BlockSize = 64 << 10 };
        parent.Sectors[3] = Sector(1);
        var parentId = new byte[16];
        parent.UniqueId.TryWriteBytes(parentId, bigEndian: true, out _);
        var dynamic = new VhdImageBuilder { VirtualSize = 1 << 20, BlockSize = 64 << 10 };
        dynamic.Sectors[0] = Sector(0x11);
        dynamic.Sectors[400] = Sector(0x22);
        dynamic.Sectors[2047] = Sector(0x33);
        var chs = new VhdImageBuilder { VirtualSize = 1 << 20, BlockSize = 128 << 10, CreatorApp = "vpc " };
        chs.Sectors[7] = Sector(0x44);
        var fixedDisk = new VhdImageBuilder { VirtualSize = 256 << 10 };
        fixedDisk.Sectors[1] = Sector(0x55);
        var child = new VhdImageBuilder
        {
            VirtualSize = 1 << 20,
            BlockSize = 64 << 10,
            ParentUniqueIdRaw = parentId,
            ParentRelativePath = ".\\parent.vhd",
            ParentAbsolutePath = "C:\\x\\parent.vhd",
        };
        child.Sectors[3] = Sector(0x66);
        child.Sectors[130] = Sector(0x77);
        return ([dynamic.BuildDynamic(), chs.BuildDynamic(), fixedDisk.BuildFixed(), child.BuildDynamic()], parent);
    }

    [Test]
    public void MutatedHeadersAndBat_ValidateWithOnlyImageFormatException()
    {
        var (seeds, _) = Seeds();
        var images = seeds.Select(s => new MutableImage(s)).ToArray();
        var rng = new Random(20261122);
        var clock = Stopwatch.StartNew();
        int run = 0, refused = 0;
        for (; run < LayoutCases && clock.Elapsed < Budget; run++)
        {
            var img = images[run % images.Length];
            Mutate(img, rng);
            try
            {
                var layout = VhdDisk.ReadLayout(img.ReadAt, img.Length, "fuzz.vhd");
                Assert.That(layout.Length, Is.InRange(0, VhdFooter.MaxSectors * 512));
            }
            catch (ImageFormatException)
            {
                refused++;
            }
            catch (Exception e) when (e is not AssertionException)
            {
                Assert.Fail($"case {run}: {e}");
            }
            finally
            {
                img.Restore();
            }
        }
        TestContext.Out.WriteLine($"{run} layout cases in {clock.Elapsed.TotalSeconds:0.0} s, {refused} refused");
        CheckCount(run, LayoutCases);
        Assert.That(refused, Is.InRange(run / 20, run - (run / 20)), "mutations reach the checks and some images survive");
    }

    [Test]
    public void MutatedFiles_OpenMapAndRead_FailOnlyWithImageFormatException()
    {
        using var dir = new TempDir();
        var (seeds, parent) = Seeds();
        File.WriteAllBytes(dir.File("parent.vhd"), parent.BuildDynamic());
        var images = seeds.Select((s, i) => new MutableImage(s, dir.File($"seed{i}.vhd"))).ToArray();
        try
        {
            var rng = new Random(1122);
            var clock = Stopwatch.StartNew();
            int run = 0, refused = 0;
            for (; run < FileCases && clock.Elapsed < Budget; run++)
            {
                var img = images[run % images.Length];
                Mutate(img, rng);
                try
                {
                    using var disk = DiskImage.Open(img.Path, new OpenOptions { Format = ImageFormat.Vhd });
                    Exercise(disk, rng, run);
                }
                catch (ImageFormatException)
                {
                    refused++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"case {run} ({Path.GetFileName(img.Path)}): {e}");
                }
                finally
                {
                    img.Restore();
                }
            }
            TestContext.Out.WriteLine($"{run} file cases in {clock.Elapsed.TotalSeconds:0.0} s, {refused} refused");
            CheckCount(run, FileCases);
            Assert.That(refused, Is.InRange(run / 20, run - (run / 20)));
        }
        finally
        {
            foreach (var i in images)
            {
                i.Dispose();
            }
        }
    }

    private static void Mutate(MutableImage img, Random rng)
    {
        var len = img.Length;
        var dynamic = img.Bytes.StartsWith("conectix"u8);
        var count = 1 + rng.Next(4);
        for (var k = 0; k < count; k++)
        {
            switch (rng.Next(10))
            {
                case 0 or 1:
                    img.Mutate(rng, len - 512, len);
                    break;
                case 2 or 3:
                    img.Mutate(rng, 0, 512);
                    break;
                case 4 or 5 or 6:
                    img.Mutate(rng, 512, 1536);
                    break;
                case 7:
                    img.Mutate(rng, 1536, 4096);
                    break;
                default:
                    img.Mutate(rng, 0, len);
                    break;
            }
        }
        if (rng.Next(4) != 0)
        {
            // Repair checksums so the mutation reaches the field checks behind them.
            foreach (var (at, size) in new[] { (len - 512, 512), (0L, 512), (512L, 1024) })
            {
                if (at == 512 && !dynamic)
                {
                    continue;
                }
                var field = size == 512 ? 64 : 36;
                var s = img.Bytes.Slice((int)at, size).ToArray();
                VhdImageBuilder.Refresh(s);
                if (!s.AsSpan(field, 4).SequenceEqual(img.Bytes.Slice((int)at + field, 4)))
                {
                    img.Set(at + field, s.AsSpan(field, 4));
                }
            }
        }
    }

    private static void Exercise(VirtualDisk disk, Random rng, int run)
    {
        _ = disk.Describe();
        var extents = 0;
        foreach (var e in disk.Map())
        {
            if (e.Length <= 0 || ++extents > 4096)
            {
                break;
            }
        }
        if (disk.Length == 0)
        {
            return;
        }
        var buf = new byte[65536];
        for (var i = 0; i < 3; i++)
        {
            var n = (int)Math.Min(buf.Length, disk.Length);
            var at = rng.NextInt64(disk.Length - n + 1);
            disk.Read(at, buf.AsSpan(0, n));
        }
        if (run % 64 == 0 && disk.Length <= 1L << 30)
        {
            _ = disk.Check();
        }
    }

    /// <summary>
    /// The time budget bounds the test on a loaded machine (CI shares 2 cores); a run cut short still
    /// has to have done a substantial number of cases, and says so.
    /// </summary>
    private static void CheckCount(int run, int target)
    {
        Assert.That(run, Is.GreaterThanOrEqualTo(target / 4), $"only {run} of {target} cases ran within {Budget.TotalSeconds} s");
        if (run < target)
        {
            Assert.Warn($"the {Budget.TotalSeconds} s budget stopped the run after {run} of {target} cases (machine loaded?)");
        }
    }
}
