using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.Qcow2;

/// <summary>
/// Mutates a valid small qcow2 (header, extensions, L1, L2, refcount table and block, data, a
/// compressed cluster) and asserts that nothing but ImageFormatException ever escapes. The header
/// codecs are pure and run 100k+ times; whole-file opens (open, read, map, check) run a few thousand.
/// </summary>
public class Qcow2FuzzTests
{
    private const int PureCases = 150_000;
    private const int FileCases = 5_000;
    private static readonly TimeSpan PureBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FileBudget = TimeSpan.FromSeconds(30);

    /// <summary>A valid seed: 4 KiB clusters, 1 MiB, data at 0 and 64 KiB, a zero cluster, a compressed cluster, a backing format extension.</summary>
    private static byte[] Seed(TempDir dir)
    {
        var basePath = dir.File("seed-base.raw");
        File.WriteAllBytes(basePath, new byte[1 << 20]);
        var path = dir.File("seed.qcow2");
        using (var disk = Qcow2Writer.Create(path, 1 << 20, 4096, "seed-base.raw", ImageFormat.Raw))
        {
            var data = new byte[8192];
            new Random(1).NextBytes(data);
            disk.Write(0, data);
            disk.Write(65536, data.AsSpan(0, 4096));
            disk.Write(131072, data.AsSpan(0, 4096));
            disk.WriteZeroes(196608, 4096);
            disk.Flush();
        }
        var bytes = File.ReadAllBytes(path);
        // Turn guest cluster 32 (128 KiB) into a compressed cluster stored at the end of the file.
        var plain = new byte[4096];
        for (var i = 0; i < plain.Length; i++)
        {
            plain[i] = (byte)(i * 13 % 256);
        }
        using var ms = new MemoryStream();
        using (var deflate = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(plain);
        }
        var packed = ms.ToArray();
        var at = bytes.Length + 100;
        var grown = new byte[at + packed.Length];
        bytes.CopyTo(grown, 0);
        packed.CopyTo(grown, at);
        var l1 = (int)BinaryPrimitives.ReadUInt64BigEndian(grown.AsSpan(40));
        var l2 = (int)(BinaryPrimitives.ReadUInt64BigEndian(grown.AsSpan(l1)) & Qcow2Entry.OffsetMask);
        BinaryPrimitives.WriteUInt64BigEndian(grown.AsSpan(l2 + (32 * 8)), Qcow2Entry.MakeCompressed(at, packed.Length, 12));
        return grown;
    }

    /// <summary>Offsets worth mutating: the header cluster, the L1, the first L2 and the refcount table/block.</summary>
    private static int[] Hotspots(byte[] seed)
    {
        var l1 = (int)BinaryPrimitives.ReadUInt64BigEndian(seed.AsSpan(40));
        var rt = (int)BinaryPrimitives.ReadUInt64BigEndian(seed.AsSpan(48));
        var l2 = (int)(BinaryPrimitives.ReadUInt64BigEndian(seed.AsSpan(l1)) & Qcow2Entry.OffsetMask);
        var rb = (int)BinaryPrimitives.ReadUInt64BigEndian(seed.AsSpan(rt));
        return [0, l1, rt, l2, rb];
    }

    private static void Mutate(Random rng, byte[] b, int[] hot)
    {
        var count = rng.Next(1, 5);
        for (var i = 0; i < count; i++)
        {
            var region = hot[rng.Next(hot.Length)];
            var pos = region == 0 ? rng.Next(Math.Min(256, b.Length)) : region + rng.Next(Math.Min(512, b.Length - region));
            switch (rng.Next(5))
            {
                case 0:
                    b[pos] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:
                    b[pos] = (byte)rng.Next(256);
                    break;
                case 2 when pos + 8 <= b.Length:
                    ulong[] interesting = [0, 1, 0x1ff, 0x200, 0xffff_ffff, 0x8000_0000_0000_0000, ulong.MaxValue, (ulong)b.Length, (ulong)b.Length - 8, 1UL << 62];
                    BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(pos), interesting[rng.Next(interesting.Length)]);
                    break;
                case 3 when pos + 4 <= b.Length:
                    uint[] small = [0, 1, 8, 9, 21, 22, 64, 0x7fff_ffff, 0xffff_ffff, 104, 112];
                    BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(pos), small[rng.Next(small.Length)]);
                    break;
                default:
                    b[pos] = 0;
                    break;
            }
        }
    }

    [Test]
    public void HeaderCodecs_OnMutatedHeaders_OnlyEverThrowImageFormatException()
    {
        using var dir = new TempDir();
        var seed = Seed(dir);
        var hot = new[] { 0, 0, 0, 104, 112 };
        var rng = new Random(20261122);
        var buf = new byte[4096];
        var clock = Stopwatch.StartNew();
        int cases = 0, accepted = 0;
        for (; cases < PureCases && clock.Elapsed < PureBudget; cases++)
        {
            seed.AsSpan(0, buf.Length).CopyTo(buf);
            Mutate(rng, buf, hot);
            var fileLength = rng.Next(4) == 0 ? rng.Next(buf.Length) : seed.Length;
            try
            {
                var h = Qcow2Header.Parse(buf.AsSpan(0, Math.Min(buf.Length, fileLength)), fileLength, "fuzz.qcow2");
                var ext = Qcow2Extensions.Parse(buf.AsSpan(0, (int)Math.Min(h.ClusterSize, Math.Min(buf.Length, fileLength))), h.HeaderLength, "fuzz.qcow2");
                h.CheckFeatures("fuzz.qcow2", ext);
                _ = Qcow2Extensions.FormatFromName(ext.BackingFormat, "fuzz.qcow2");
                var e = BinaryPrimitives.ReadUInt64BigEndian(buf.AsSpan(rng.Next(buf.Length - 8)));
                _ = Qcow2Entry.ClusterKind(e, h.ExtendedL2);
                _ = Qcow2Entry.SubclusterKind(e, (ulong)rng.NextInt64(), rng.Next(32));
                _ = Qcow2Entry.CompressedLocation(e, h.ClusterBits);
                accepted++;
            }
            catch (ImageFormatException)
            {
            }
        }
        TestContext.Out.WriteLine($"{cases} mutated headers in {clock.Elapsed.TotalSeconds:0.0} s, {accepted} accepted");
        Assert.That(cases, Is.GreaterThanOrEqualTo(100_000), "the budget ran out before 100k cases");
        Assert.That(accepted, Is.GreaterThan(0), "no mutation was ever accepted: the fuzzer is not reaching the parsers");
    }

    [Test]
    public void WholeImage_OnMutatedFiles_OpenReadMapCheck_OnlyEverThrowImageFormatException()
    {
        using var dir = new TempDir();
        var seed = Seed(dir);
        var hot = Hotspots(seed);
        var rng = new Random(7);
        var path = dir.File("case.qcow2");
        var buf = new byte[1 << 16];
        var clock = Stopwatch.StartNew();
        int cases = 0, opened = 0;
        var work = (byte[])seed.Clone();
        for (; cases < FileCases && clock.Elapsed < FileBudget; cases++)
        {
            seed.CopyTo(work, 0);
            Mutate(rng, work, hot);
            var length = rng.Next(8) == 0 ? rng.Next(work.Length) : work.Length;
            using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
            {
                f.Write(work, 0, length);
            }
            try
            {
                using var disk = DiskImage.Open(path);
                opened++;
                var n = (int)Math.Min(buf.Length, disk.Length);
                disk.Read(0, buf.AsSpan(0, n));
                if (disk.Length > buf.Length)
                {
                    disk.Read(rng.NextInt64(disk.Length - 4096), buf.AsSpan(0, 4096));
                }
                _ = disk.Map(0, Math.Min(disk.Length, 64L << 20)).Take(10_000).Count();
                _ = disk.Check();
            }
            catch (ImageFormatException)
            {
            }
        }
        TestContext.Out.WriteLine($"{cases} mutated files in {clock.Elapsed.TotalSeconds:0.0} s, {opened} opened");
        Assert.That(cases, Is.GreaterThanOrEqualTo(2_000), "too few whole-file cases ran within the budget");
        Assert.That(opened, Is.GreaterThan(cases / 10), "most mutations should still open");
    }
}
