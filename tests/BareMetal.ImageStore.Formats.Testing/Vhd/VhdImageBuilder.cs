using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Testing.Vhd;

/// <summary>
/// Writes small VHD files for tests, following Microsoft's VHD specification: a fixed disk (data +
/// footer) or a dynamic / differencing disk (footer copy, dynamic header, BAT, parent locators,
/// blocks each preceded by their MSB-first sector bitmap, footer). qemu-img cannot create a
/// differencing VHD, so this is how the tests get one.
/// </summary>
internal sealed class VhdImageBuilder
{
    private const long HeaderOffset = 512;
    private const long BatOffset = 1536;

    public required long VirtualSize { get; init; }
    public uint BlockSize { get; init; } = 2 << 20;
    public string CreatorApp { get; init; } = "win ";
    public Guid UniqueId { get; init; } = Guid.NewGuid();

    /// <summary>Differencing: the parent's unique id (as stored: 16 raw bytes) and its path relative to the child.</summary>
    public byte[]? ParentUniqueIdRaw { get; init; }
    public string? ParentRelativePath { get; init; }
    public string? ParentAbsolutePath { get; init; }

    /// <summary>Sectors written in this layer: guest sector number -> 512 bytes.</summary>
    public SortedDictionary<long, byte[]> Sectors { get; } = [];

    /// <summary>Blocks allocated with every bitmap bit clear (to prove clear bits fall through).</summary>
    public HashSet<long> EmptyBlocks { get; } = [];

    public byte[] BuildFixed()
    {
        var file = new byte[VirtualSize + 512];
        foreach (var (sector, data) in Sectors)
        {
            data.CopyTo(file, sector * 512);
        }
        Footer(2, ulong.MaxValue).CopyTo(file, VirtualSize);
        return file;
    }

    public byte[] BuildDynamic()
    {
        var differencing = ParentUniqueIdRaw is not null;
        var entries = (uint)((VirtualSize + BlockSize - 1) / BlockSize);
        var bitmapBytes = (int)((((BlockSize / 512) + 7) / 8 + 511) & ~511u);
        var batBytes = ((entries * 4) + 511) & ~511;
        var locators = new List<(uint Code, byte[] Data)>();
        if (ParentRelativePath is not null)
        {
            locators.Add((0x57327275, Encoding.Unicode.GetBytes(ParentRelativePath))); // W2ru
        }
        if (ParentAbsolutePath is not null)
        {
            locators.Add((0x57326B75, Encoding.Unicode.GetBytes(ParentAbsolutePath))); // W2ku
        }
        var next = BatOffset + batBytes;
        var locatorOffsets = new List<long>();
        foreach (var (_, data) in locators)
        {
            locatorOffsets.Add(next);
            next += (data.Length + 511) & ~511;
        }
        var blocks = Sectors.Keys.Select(s => s * 512 / BlockSize).Concat(EmptyBlocks).Distinct().Order().ToList();
        var blockAt = new Dictionary<long, long>();
        foreach (var b in blocks)
        {
            blockAt[b] = next;
            next += bitmapBytes + BlockSize;
        }
        var file = new byte[next + 512];
        var footer = Footer(differencing ? 4u : 3u, HeaderOffset);
        footer.CopyTo(file, 0);
        footer.CopyTo(file, next);
        file.AsSpan((int)BatOffset, (int)batBytes).Fill(0xFF);
        foreach (var (b, at) in blockAt)
        {
            BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan((int)BatOffset + ((int)b * 4)), (uint)(at / 512));
        }
        foreach (var (sector, data) in Sectors)
        {
            var block = sector * 512 / BlockSize;
            var inBlock = (sector * 512) - (block * BlockSize);
            var bit = inBlock / 512;
            file[blockAt[block] + (bit / 8)] |= (byte)(0x80 >> (int)(bit % 8));
            data.CopyTo(file, blockAt[block] + bitmapBytes + inBlock);
        }
        var h = file.AsSpan((int)HeaderOffset, 1024);
        "cxsparse"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt64BigEndian(h[8..], ulong.MaxValue);
        BinaryPrimitives.WriteUInt64BigEndian(h[16..], (ulong)BatOffset);
        BinaryPrimitives.WriteUInt32BigEndian(h[24..], 0x00010000);
        BinaryPrimitives.WriteUInt32BigEndian(h[28..], entries);
        BinaryPrimitives.WriteUInt32BigEndian(h[32..], BlockSize);
        if (differencing)
        {
            ParentUniqueIdRaw!.CopyTo(h[40..]);
            var name = Encoding.BigEndianUnicode.GetBytes(Path.GetFileName(ParentRelativePath ?? ParentAbsolutePath ?? ""));
            name.AsSpan(0, Math.Min(name.Length, 510)).CopyTo(h[64..]);
            for (var i = 0; i < locators.Count; i++)
            {
                var e = h.Slice(576 + (i * 24), 24);
                BinaryPrimitives.WriteUInt32BigEndian(e, locators[i].Code);
                BinaryPrimitives.WriteUInt32BigEndian(e[4..], (uint)((locators[i].Data.Length + 511) / 512));
                BinaryPrimitives.WriteUInt32BigEndian(e[8..], (uint)locators[i].Data.Length);
                BinaryPrimitives.WriteUInt64BigEndian(e[16..], (ulong)locatorOffsets[i]);
                locators[i].Data.CopyTo(file, locatorOffsets[i]);
            }
        }
        BinaryPrimitives.WriteUInt32BigEndian(h[36..], Checksum(h));
        return file;
    }

    private byte[] Footer(uint type, ulong dataOffset)
    {
        var f = new byte[512];
        "conectix"u8.CopyTo(f);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(12), 0x00010000);
        BinaryPrimitives.WriteUInt64BigEndian(f.AsSpan(16), dataOffset);
        Encoding.Latin1.GetBytes(CreatorApp).CopyTo(f, 28);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(32), 0x000A0000);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(36), 0x5769326B); // Wi2k
        BinaryPrimitives.WriteUInt64BigEndian(f.AsSpan(40), (ulong)VirtualSize);
        BinaryPrimitives.WriteUInt64BigEndian(f.AsSpan(48), (ulong)VirtualSize);
        var (c, hd, s) = Geometry(VirtualSize / 512);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(56), c);
        f[58] = hd;
        f[59] = s;
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(60), type);
        UniqueId.TryWriteBytes(f.AsSpan(68), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(64), Checksum(f));
        return f;
    }

    /// <summary>The CHS algorithm of the VHD specification (appendix).</summary>
    public static (ushort C, byte H, byte S) Geometry(long totalSectors)
    {
        totalSectors = Math.Min(totalSectors, 65535L * 16 * 255);
        long spt, heads, cth;
        if (totalSectors >= 65535L * 16 * 63)
        {
            spt = 255;
            heads = 16;
            cth = totalSectors / spt;
        }
        else
        {
            spt = 17;
            cth = totalSectors / spt;
            heads = Math.Max((cth + 1023) / 1024, 4);
            if (cth >= heads * 1024 || heads > 16)
            {
                spt = 31;
                heads = 16;
                cth = totalSectors / spt;
            }
            if (cth >= heads * 1024)
            {
                spt = 63;
                heads = 16;
                cth = totalSectors / spt;
            }
        }
        return ((ushort)(cth / heads), (byte)heads, (byte)spt);
    }

    public static uint Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i < data.Length; i++)
        {
            var isField = data.Length == 512 ? i is >= 64 and < 68 : i is >= 36 and < 40;
            if (!isField)
            {
                sum = unchecked(sum + data[i]);
            }
        }
        return ~sum;
    }

    public static void Refresh(Span<byte> structure)
    {
        var at = structure.Length == 512 ? 64 : 36;
        BinaryPrimitives.WriteUInt32BigEndian(structure[at..], Checksum(structure));
    }
}
