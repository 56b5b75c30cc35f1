using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace BareMetal.ImageStore.Formats.Testing.Vmdk;

/// <summary>
/// Builds small hosted sparse VMDKs in memory, laid out like qemu's: header, embedded descriptor,
/// grain directory, grain tables, grains. Offsets are exposed so hostile tests can corrupt one field.
/// </summary>
public sealed class VmdkTestImage
{
    public const int Sector = 512;

    public long CapacitySectors { get; init; } = 4096;   // 2 MiB
    public long GrainSectors { get; init; } = 16;        // 8 KiB grains
    public bool Compressed { get; init; }
    public bool ZeroedGrainFlag { get; init; } = true;
    public bool GdInFooter { get; init; }
    public string? ParentHint { get; init; }

    /// <summary>Grain index -> content (null = zeroed grain, GTE 1).</summary>
    public Dictionary<long, byte[]?> Grains { get; } = [];

    // Filled by Build():
    public long GdSector { get; private set; }
    public long FirstGtSector { get; private set; }
    public Dictionary<long, long> GrainSector { get; } = [];
    public int DescriptorSector => 1;
    public int DescriptorSectors => 20;

    public long GrainBytes => GrainSectors * Sector;

    public byte[] Build()
    {
        var gtCoverage = GrainSectors * 512;
        var gdEntries = (CapacitySectors + gtCoverage - 1) / gtCoverage;
        GdSector = 1 + DescriptorSectors;
        var gdSectors = ((gdEntries * 4) + Sector - 1) / Sector;
        FirstGtSector = GdSector + gdSectors;
        var gtSectors = gdEntries * 4;   // 512 entries * 4 bytes = 4 sectors each
        var next = FirstGtSector + gtSectors;
        var overhead = (ulong)next;   // metadata ends where the first grain starts
        var body = new MemoryStream();
        var gts = new uint[gdEntries * 512];
        foreach (var (index, content) in Grains.OrderBy(g => g.Key))
        {
            if (content is null)
            {
                gts[index] = 1;
                continue;
            }
            GrainSector[index] = next;
            gts[index] = (uint)next;
            byte[] stored;
            if (Compressed)
            {
                var z = new MemoryStream();
                using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true))
                {
                    zs.Write(content);
                }
                var payload = z.ToArray();
                stored = new byte[12 + payload.Length];
                BinaryPrimitives.WriteUInt64LittleEndian(stored, (ulong)(index * GrainSectors));
                BinaryPrimitives.WriteUInt32LittleEndian(stored.AsSpan(8), (uint)payload.Length);
                payload.CopyTo(stored, 12);
            }
            else
            {
                stored = content;
            }
            var padded = new byte[(stored.Length + Sector - 1) / Sector * Sector];
            stored.CopyTo(padded, 0);
            body.Write(padded);
            next += padded.Length / Sector;
        }
        var image = new MemoryStream();
        var header = Header(GdInFooter ? ulong.MaxValue : (ulong)GdSector, overhead);
        image.Write(header);
        var descriptor = new byte[DescriptorSectors * Sector];
        Encoding.ASCII.GetBytes(DescriptorText()).CopyTo(descriptor, 0);
        image.Write(descriptor);
        var gd = new byte[gdSectors * Sector];
        for (var i = 0; i < gdEntries; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(gd.AsSpan(i * 4), (uint)(FirstGtSector + (i * 4)));
        }
        image.Write(gd);
        var gtBytes = new byte[gtSectors * Sector];
        for (var i = 0; i < gts.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(gtBytes.AsSpan(i * 4), gts[i]);
        }
        image.Write(gtBytes);
        image.Write(body.ToArray());
        if (GdInFooter)
        {
            var marker = new byte[Sector];
            BinaryPrimitives.WriteUInt64LittleEndian(marker, 1);
            BinaryPrimitives.WriteUInt32LittleEndian(marker.AsSpan(12), 3);   // MARKER_FOOTER
            image.Write(marker);
            image.Write(Header((ulong)GdSector, overhead));
            image.Write(new byte[Sector]);                                        // MARKER_EOS
        }
        return image.ToArray();
    }

    public string DescriptorText()
    {
        var sb = new StringBuilder();
        sb.Append("# Disk DescriptorFile\nversion=1\nCID=12345678\n");
        sb.Append(ParentHint is null ? "parentCID=ffffffff\n" : "parentCID=87654321\n");
        sb.Append(Compressed ? "createType=\"streamOptimized\"\n" : "createType=\"monolithicSparse\"\n");
        if (ParentHint is not null)
        {
            sb.Append($"parentFileNameHint=\"{ParentHint}\"\n");
        }
        sb.Append($"\n# Extent description\nRW {CapacitySectors} SPARSE \"test.vmdk\"\n\n# The Disk Data Base\n#DDB\n\nddb.virtualHWVersion = \"4\"\n");
        return sb.ToString();
    }

    private byte[] Header(ulong gdOffset, ulong overheadEnd)
    {
        var h = new byte[Sector];
        "KDMV"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), Compressed ? 3u : (ZeroedGrainFlag ? 2u : 1u));
        uint flags = 1;   // valid new-line test
        if (ZeroedGrainFlag)
        {
            flags |= 1 << 2;
        }
        if (Compressed)
        {
            flags |= (1 << 16) | (1 << 17);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), flags);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(12), (ulong)CapacitySectors);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(20), (ulong)GrainSectors);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(28), (ulong)DescriptorSector);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(36), (ulong)DescriptorSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(44), 512);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(48), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(56), gdOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(64), overheadEnd);
        h[73] = (byte)'\n';
        h[74] = (byte)' ';
        h[75] = (byte)'\r';
        h[76] = (byte)'\n';
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(77), (ushort)(Compressed ? 1 : 0));
        return h;
    }

    /// <summary>A deterministic grain-sized pattern.</summary>
    public byte[] Pattern(int seed)
    {
        var b = new byte[GrainBytes];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>The guest bytes this image should read as (no backing).</summary>
    public byte[] Expected()
    {
        var disk = new byte[CapacitySectors * Sector];
        foreach (var (index, content) in Grains)
        {
            content?.CopyTo(disk, index * GrainBytes);
        }
        return disk;
    }
}
