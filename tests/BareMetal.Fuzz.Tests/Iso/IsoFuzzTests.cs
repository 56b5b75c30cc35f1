using BareMetal.Fuzz.Tests.Vmdk;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Iso;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.Iso;

/// <summary>
/// Mutated ISO 9660 structures (the <see cref="Mutator"/> is shared with the VMDK fuzzers): success or
/// <see cref="ImageFormatException"/> only. FileNotFoundException is allowed where a mutated name no
/// longer resolves.
/// </summary>
public class IsoFuzzTests
{
    private const int PureCases = 100_000;
    private const int ImageCases = 2_000;
    private const int S = IsoTestImage.Sector;

    private static void Run(int cases, Action<int> body, string what) => ImageFuzzLoop.Run(cases, body, what);

    [Test]
    public void DirectoryRecordParse_MutatedRecords_OnlyCleanErrors()
    {
        var image = IsoTestImage.Build();
        var seeds = new[]
        {
            image[(IsoTestImage.PrimaryRoot * S)..((IsoTestImage.PrimaryRoot * S) + 300)],
            image[(IsoTestImage.JolietRoot * S)..((IsoTestImage.JolietRoot * S) + 300)],
            // A record with a Rock Ridge system use area: SP, NM (continued), ST.
            [.. IsoTestImage.Record("X.TXT;1"u8.ToArray(), 24, 10, 0)[..0], .. RockRidgeRecord()],
        };
        var m = new Mutator(11);
        Run(PureCases, i =>
        {
            var bytes = m.Mutate(seeds[i % seeds.Length], 0, 120);
            var pos = 0;
            for (var k = 0; k < 8 && pos < bytes.Length; k++)
            {
                if (bytes[pos] == 0)
                {
                    break;
                }
                var rec = IsoDirectoryRecord.Parse(bytes.AsSpan(pos), joliet: i % 3 == 1, suspSkip: i % 5, "fuzz.iso");
                pos += rec.Length;
            }
        }, "directory record");
    }

    private static byte[] RockRidgeRecord()
    {
        byte[] su = [(byte)'S', (byte)'P', 7, 1, 0xBE, 0xEF, 0, (byte)'N', (byte)'M', 9, 1, 1, (byte)'l', (byte)'o', (byte)'n', (byte)'N', (byte)'M', 7, 1, 0, (byte)'g', (byte)'!', (byte)'S', (byte)'T', 4, 1];
        var name = "X.TXT;1"u8.ToArray();
        var baseLen = 33 + name.Length + ((name.Length & 1) == 0 ? 1 : 0);
        var rec = new byte[baseLen + su.Length];
        IsoTestImage.Record(name, 24, 10, 0).CopyTo(rec, 0);
        su.CopyTo(rec, baseLen);
        rec[0] = (byte)rec.Length;
        return rec;
    }

    [Test]
    public void VolumeDescriptorParse_MutatedDescriptors_OnlyCleanErrors()
    {
        var image = IsoTestImage.Build();
        var seeds = new[] { image[(16 * S)..(17 * S)], image[(17 * S)..(18 * S)], image[(18 * S)..(19 * S)] };
        var m = new Mutator(12);
        Run(PureCases, i =>
        {
            var bytes = m.Mutate(seeds[i % seeds.Length], 0, 200);
            _ = IsoVolumeDescriptor.Parse(bytes, "fuzz.iso");
        }, "volume descriptor");
    }

    [Test]
    public void BootCatalogParse_MutatedCatalogs_OnlyCleanErrors()
    {
        var image = IsoTestImage.Build();
        var seed = image[(IsoTestImage.Catalog * S)..((IsoTestImage.Catalog + 1) * S)];
        var m = new Mutator(13);
        Run(PureCases, i =>
        {
            var bytes = m.Mutate(seed, 0, 160);
            if (i % 2 == 0 && bytes.Length >= ElToritoCatalog.EntrySize)
            {
                IsoTestImage.FixChecksum(bytes);   // get past the checksum half the time
            }
            _ = ElToritoCatalog.Parse(bytes, 20, image.Length, "fuzz.iso");
        }, "boot catalog");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void OpenWalkAndRead_MutatedImages_OnlyCleanErrors(bool joliet)
    {
        var seed = IsoTestImage.Build();
        using var dir = new TempDir();
        var path = dir.File("fuzz.iso");
        var m = new Mutator(joliet ? 14 : 15);
        var buf = new byte[4096];
        Run(ImageCases, n =>
        {
            File.WriteAllBytes(path, m.Mutate(seed, 16 * S, 24 * S));
            using var disk = DiskImage.Open(path, new OpenOptions { Format = ImageFormat.Iso });
            var fs = IsoFileSystem.Open(disk, joliet);
            _ = fs.BootCatalog;
            foreach (var (p, e) in fs.Walk())
            {
                if (e.IsDirectory)
                {
                    continue;
                }
                using var s = fs.OpenRead(p);
                while (s.Read(buf) > 0 && s.Position < (1 << 20))
                {
                }
            }
        }, "iso image");
    }
}
