using System.Text;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Vmdk;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.Vmdk;

/// <summary>
/// Mutated VMDK headers, descriptors and whole images: the only acceptable outcomes are success or an
/// <see cref="ImageFormatException"/>. Pure parsers run 100k+ cases; whole opens + reads a few thousand.
/// </summary>
public class VmdkFuzzTests
{
    private const int PureCases = 100_000;
    private const int ImageCases = 2_000;

    private static void Run(int cases, Action<int> body, string what) => ImageFuzzLoop.Run(cases, body, what);

    [Test]
    public void SparseHeaderParse_MutatedHeaders_OnlyCleanErrors()
    {
        var seed = new VmdkTestImage { Compressed = true }.Build()[..512];
        var m = new Mutator(1);
        Run(PureCases, n =>
        {
            var bytes = m.Mutate(seed, 0, 96);
            var fileLength = m.Random.Next(3) == 0 ? m.Random.NextInt64(long.MaxValue) : m.Random.Next(1 << 24);
            var h = VmdkSparseHeader.Parse(bytes, fileLength, "fuzz.vmdk");
            _ = h.GdEntries + h.GtCoverageBytes;
            if (h.GdInFooter)
            {
                h.CheckGrainDirectory("fuzz.vmdk", fileLength);
            }
        }, "header");
    }

    [Test]
    public void DescriptorParse_MutatedText_OnlyCleanErrors()
    {
        var seeds = new[]
        {
            Encoding.ASCII.GetBytes(new VmdkTestImage { ParentHint = "p.vmdk" }.DescriptorText()),
            "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\ncreateType=\"twoGbMaxExtentFlat\"\nRW 4194304 FLAT \"x-f001.vmdk\" 0\nRDONLY 2048 SPARSE \"x-s002.vmdk\"\nNOACCESS 8 ZERO\n"u8.ToArray(),
        };
        var m = new Mutator(2);
        Run(PureCases, i =>
        {
            var bytes = m.Mutate(seeds[i % seeds.Length]);
            var d = VmdkDescriptor.Parse(bytes, "fuzz.vmdk");
            foreach (var e in d.Extents)
            {
                _ = e.ToString();
            }
        }, "descriptor");
    }

    [Test]
    public void MarkerParse_RandomBytes_OnlyCleanErrors()
    {
        var m = new Mutator(3);
        Run(PureCases, n =>
        {
            var bytes = new byte[m.Random.Next(20)];
            m.Random.NextBytes(bytes);
            _ = VmdkMarker.Parse(bytes, "fuzz.vmdk");
        }, "marker");
    }

    [TestCase(false, false)]
    [TestCase(true, true)]
    public void OpenAndRead_MutatedImages_OnlyCleanErrors(bool compressed, bool footer)
    {
        var img = new VmdkTestImage { Compressed = compressed, GdInFooter = footer, CapacitySectors = 2048, GrainSectors = 8 };
        img.Grains[0] = img.Pattern(1);
        img.Grains[5] = null;
        img.Grains[200] = img.Pattern(2);
        var seed = img.Build();
        // Mutations land in the header, the grain directory and tables, the first grain, or the footer.
        var regions = new[]
        {
            (0, 512),
            ((int)img.GdSector * 512, ((int)img.FirstGtSector + 4) * 512),
            ((int)img.GrainSector[0] * 512, ((int)img.GrainSector[0] * 512) + 64),
            (Math.Max(0, seed.Length - 1536), seed.Length),
        };
        using var dir = new TempDir();
        var path = dir.File("fuzz.vmdk");
        var m = new Mutator(compressed ? 5 : 4);
        var buf = new byte[64 << 10];
        Run(ImageCases, i =>
        {
            var (from, to) = regions[i % regions.Length];
            File.WriteAllBytes(path, m.Mutate(seed, from, to));
            using var disk = DiskImage.Open(path, new OpenOptions { Format = ImageFormat.Vmdk, FollowBacking = false });
            _ = disk.Describe();
            for (long pos = 0; pos < disk.Length; pos += buf.Length)
            {
                disk.Read(pos, buf.AsSpan(0, (int)Math.Min(buf.Length, disk.Length - pos)));
                if (pos > (8L << 20))
                {
                    break;   // a lying capacity may be huge: sample its start only
                }
            }
            foreach (var _ in disk.Map(0, Math.Min(disk.Length, 8L << 20)))
            {
            }
        }, "image");
    }

    [Test]
    public void OpenAndRead_MutatedDescriptorFiles_OnlyCleanErrors()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("flat.raw"), new byte[64 * 512]);
        var sparse = new VmdkTestImage { CapacitySectors = 256 };
        sparse.Grains[1] = sparse.Pattern(3);
        File.WriteAllBytes(dir.File("s.vmdk"), sparse.Build());
        var seed = "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\ncreateType=\"custom\"\nRW 64 FLAT \"flat.raw\" 0\nRW 32 ZERO\nRW 256 SPARSE \"s.vmdk\"\n"u8.ToArray();
        var path = dir.File("d.vmdk");
        var m = new Mutator(6);
        var buf = new byte[32 << 10];
        Run(ImageCases, n =>
        {
            File.WriteAllBytes(path, m.Mutate(seed));
            using var disk = DiskImage.Open(path, new OpenOptions { Format = ImageFormat.Vmdk, FollowBacking = false });
            for (long pos = 0; pos < Math.Min(disk.Length, 1 << 20); pos += buf.Length)
            {
                disk.Read(pos, buf.AsSpan(0, (int)Math.Min(buf.Length, disk.Length - pos)));
            }
        }, "descriptor image");
    }
}
