using System.Buffers.Binary;
using System.Diagnostics;
using BareMetal.Fuzz.Tests.Vhd;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Vhdx;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.Vhdx;

/// <summary>
/// Mutates valid VHDX images (headers, region tables, metadata, parent locator, BAT, log entries;
/// with and without repaired CRC-32Cs). 100,000 cases run the span parsers (and every tenth the
/// whole in-memory validation); a few thousand more open the mutated file and describe, map and
/// read it. The only acceptable failure is an ImageFormatException.
/// </summary>
public class VhdxFuzzTests
{
    private const int MiB = 1 << 20;
    private const int ParserCases = 100_000;
    private const int FileCases = 2_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(50);

    /// <summary>Builder layout: headers, region tables, log at 1 MiB, metadata at 2 MiB, BAT at 3 MiB.</summary>
    private const int LogAt = MiB;
    private const int MetadataAt = 2 * MiB;
    private const int BatAt = 3 * MiB;

    private static byte[] Block(byte v, int n = MiB) => Enumerable.Repeat(v, n).ToArray();

    /// <summary>A dynamic image with a pending log entry, a differencing child, and its parent.</summary>
    private static (byte[] Logged, byte[] Child, byte[] Parent) Seeds(TempDir dir)
    {
        var sample = new VhdxImageBuilder { VirtualSize = 3 * MiB };
        sample.Blocks[0] = (VhdxBlockState.FullyPresent, Block(0x11));
        sample.Blocks[1] = (VhdxBlockState.Zero, null);
        sample.Blocks[2] = (VhdxBlockState.FullyPresent, Block(0x22));
        var logged = dir.File("logged.vhdx");
        File.WriteAllBytes(logged, sample.Build());
        VhdxImageBuilder.AddLogEntry(logged, [(4 * MiB, Block(0x77, 4096)), (BatAt, new byte[4096])], [(4 * MiB + 65536, 8192)]);
        var parent = new VhdxImageBuilder { VirtualSize = 2 * MiB };
        parent.Blocks[0] = (VhdxBlockState.FullyPresent, Block(0xAA));
        var child = new VhdxImageBuilder
        {
            VirtualSize = 2 * MiB,
            Parent = new() { ["parent_linkage"] = parent.DataWriteGuid.ToString("B"), ["relative_path"] = "parent.vhdx" },
        };
        child.Blocks[0] = (VhdxBlockState.PartiallyPresent, Block(0xCC));
        var mask = new bool[MiB / 512];
        mask[1] = mask[100] = true;
        child.SectorMasks[0] = mask;
        return (File.ReadAllBytes(logged), child.Build(), parent.Build());
    }

    [Test]
    public void MutatedStructures_ParseWithOnlyImageFormatException()
    {
        using var dir = new TempDir();
        var (logged, child, _) = Seeds(dir);
        var images = new[] { new MutableImage(logged), new MutableImage(child) };
        var logGuid = new Guid(logged.AsSpan((64 * 1024) + 48, 16));
        var rng = new Random(20261122);
        var clock = Stopwatch.StartNew();
        int run = 0, refused = 0;
        for (; run < ParserCases && clock.Elapsed < Budget; run++)
        {
            var img = images[run % 2];
            // Weighted towards the cheap parsers: a region table or a whole layout costs 64 KiB-1 MiB of CRC and copying.
            var target = rng.Next(20) switch { < 5 => 0, < 10 => 4, < 14 => 6, < 17 => 9, < 19 => 2, _ => 8 };
            try
            {
                switch (target)
                {
                    case 0 or 1:
                        MutateAndSeal(img, rng, 64 * 1024, 4096, 4096, 8);
                        MutateAndSeal(img, rng, 128 * 1024, 4096, 4096, 0);
                        _ = VhdxHeader.Choose(img.Bytes.Slice(64 * 1024, 4096), img.Bytes.Slice(128 * 1024, 4096));
                        break;
                    case 2 or 3:
                        MutateAndSeal(img, rng, 192 * 1024, 64 * 1024, 16 + (32 * 3), 4);
                        var table = img.Bytes.Slice(192 * 1024, 64 * 1024);
                        if (VhdxRegionTable.ChecksumProblem(table) is null)
                        {
                            _ = VhdxRegionTable.Parse(table, img.Length, (LogAt, MiB), "fuzz.vhdx");
                        }
                        break;
                    case 4 or 5:
                        var items = 1 + rng.Next(4);
                        for (var i = 0; i < items; i++)
                        {
                            img.Mutate(rng, MetadataAt, MetadataAt + (rng.Next(2) == 0 ? 32 + (32 * 6) : (64 * 1024) + 512));
                        }
                        _ = VhdxMetadata.Parse(img.Bytes.Slice(MetadataAt, 128 * 1024), "fuzz.vhdx");
                        break;
                    case 6 or 7:
                        MutateAndSeal(img, rng, LogAt, 3 * 4096, 3 * 4096, 0, seal: run % 2 == 0);
                        var sequence = VhdxLog.ActiveSequence(img.Bytes.Slice(LogAt, 64 * 1024), logGuid);
                        _ = VhdxOverlay.Build(sequence, "fuzz.vhdx");
                        break;
                    case 8:
                        img.Mutate(rng, BatAt, BatAt + 64);
                        img.Mutate(rng, 0, 320 * 1024);
                        _ = VhdxDisk.ReadLayout(img.ReadAt, img.Length, "fuzz.vhdx");
                        break;
                    default:
                        var locatorAt = MetadataAt + (64 * 1024) + 48; // after the 8+8+16+4+4 (8-aligned) items
                        img.Mutate(rng, locatorAt, locatorAt + 256);
                        _ = VhdxParentLocator.Parse(img.Bytes.Slice(locatorAt, 1024), "fuzz.vhdx");
                        break;
                }
            }
            catch (ImageFormatException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {run} (target {target}): {e}");
            }
            finally
            {
                img.Restore();
            }
        }
        TestContext.Out.WriteLine($"{run} parser cases in {clock.Elapsed.TotalSeconds:0.0} s, {refused} refused");
        CheckCount(run, ParserCases);
        Assert.That(refused, Is.InRange(run / 50, run - (run / 20)));
    }

    [Test]
    public void MutatedFiles_OpenMapAndRead_FailOnlyWithImageFormatException()
    {
        using var dir = new TempDir();
        var (logged, child, parent) = Seeds(dir);
        File.WriteAllBytes(dir.File("parent.vhdx"), parent);
        var images = new[] { new MutableImage(logged, dir.File("a.vhdx")), new MutableImage(child, dir.File("child.vhdx")) };
        try
        {
            var rng = new Random(1122);
            var clock = Stopwatch.StartNew();
            int run = 0, refused = 0;
            for (; run < FileCases && clock.Elapsed < Budget; run++)
            {
                var img = images[run % 2];
                var count = 1 + rng.Next(3);
                for (var k = 0; k < count; k++)
                {
                    switch (rng.Next(6))
                    {
                        case 0:
                            MutateAndSeal(img, rng, 64 * 1024 * (1 + rng.Next(2)), 4096, 4096, 0);
                            break;
                        case 1:
                            MutateAndSeal(img, rng, 192 * 1024, 64 * 1024, 16 + (32 * 2), 4);
                            break;
                        case 2:
                            img.Mutate(rng, MetadataAt, MetadataAt + (64 * 1024) + 512);
                            break;
                        case 3:
                            img.Mutate(rng, BatAt, BatAt + 64);
                            break;
                        case 4:
                            MutateAndSeal(img, rng, LogAt, 3 * 4096, 3 * 4096, 0, seal: rng.Next(2) == 0);
                            break;
                        default:
                            img.Mutate(rng, 0, img.Length);
                            break;
                    }
                }
                try
                {
                    using var disk = DiskImage.Open(img.Path, new OpenOptions { Format = ImageFormat.Vhdx });
                    _ = disk.Describe();
                    var extents = disk.Map().Take(4096).Count();
                    var buf = new byte[65536];
                    for (var i = 0; i < 3; i++)
                    {
                        var n = (int)Math.Min(buf.Length, disk.Length);
                        disk.Read(rng.NextInt64(disk.Length - n + 1), buf.AsSpan(0, n));
                    }
                    Assert.That(extents, Is.GreaterThan(0));
                }
                catch (ImageFormatException)
                {
                    refused++;
                }
                catch (Exception e) when (e is not AssertionException)
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
            Assert.That(refused, Is.InRange(run / 50, run - (run / 20)));
        }
        finally
        {
            foreach (var i in images)
            {
                i.Dispose();
            }
        }
    }

    /// <summary>
    /// Mutates [at, at+mutable) and, unless told not to (or by chance), recomputes the CRC-32C of the
    /// structure of <paramref name="size"/> bytes at <paramref name="at"/> (checksum at +4), so the
    /// mutation gets past the checksum to the field checks. For a log entry the structure length is
    /// its entry length.
    /// </summary>
    private static void MutateAndSeal(MutableImage img, Random rng, int at, int size, int mutable, int skip, bool seal = true)
    {
        var count = 1 + rng.Next(3);
        for (var i = 0; i < count; i++)
        {
            img.Mutate(rng, at + skip, at + mutable);
        }
        if (!seal || rng.Next(5) == 0)
        {
            return;
        }
        if (at == LogAt)
        {
            var declared = BinaryPrimitives.ReadUInt32LittleEndian(img.Bytes[(at + 8)..]);
            if (declared == 0 || declared > 64 * 1024 || declared % 4096 != 0)
            {
                return;
            }
            size = (int)declared;
        }
        var copy = img.Bytes.Slice(at, size).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(4), Crc32C.ComputeWithZeroedField(copy, 4));
        img.Set(at + 4, copy.AsSpan(4, 4));
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
