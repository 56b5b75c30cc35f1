using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace BareMetal.ImageStore.Formats.FileSystems.Fat;

/// <summary>
/// The FAT boot sector's BIOS parameter block (Microsoft FAT spec 1.03, section 3): u16 bytes per
/// sector @11, u8 sectors per cluster @13, u16 reserved sectors @14, u8 FAT count @16, u16 root entries
/// @17, u16 total sectors @19, u16 FAT size @22, u32 total sectors @32; FAT32 adds u32 FAT size @36 and
/// u32 root cluster @44, and moves the volume id/label from @39/@43 to @67/@71. The FAT type follows
/// from the cluster count alone (below 4085: FAT12, below 65525: FAT16, else FAT32), as the spec says.
/// </summary>
public sealed record FatBootSector(
    int BytesPerSector,
    int SectorsPerCluster,
    int ReservedSectors,
    int FatCount,
    int RootEntries,
    long TotalSectors,
    long FatSectors,
    uint RootCluster,
    int FatBits,
    long ClusterCount,
    uint? VolumeId,
    string? Label)
{
    public const int Size = 512;
    public const int DirEntrySize = 32;

    public long ClusterBytes => (long)BytesPerSector * SectorsPerCluster;
    public long FatOffset => (long)ReservedSectors * BytesPerSector;
    public long FatBytes => FatSectors * BytesPerSector;
    public long RootDirOffset => FatOffset + (FatCount * FatBytes);
    public long RootDirBytes => (long)RootEntries * DirEntrySize;
    public long RootDirSectors => ((long)RootEntries * DirEntrySize + BytesPerSector - 1) / BytesPerSector;
    public long DataOffset => RootDirOffset + (RootDirSectors * BytesPerSector);

    /// <summary>Cheap check that a sector holds a BPB: a jump, sane sector and cluster sizes, a FAT count, a media byte.</summary>
    public static bool Looks(ReadOnlySpan<byte> s)
    {
        if (s.Length < Size || !(s[0] == 0xEB && s[2] == 0x90 || s[0] == 0xE9))
        {
            return false;
        }
        int bps = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(11, 2));
        var spc = s[13];
        return bps is 512 or 1024 or 2048 or 4096 && spc != 0 && (spc & (spc - 1)) == 0 &&
               BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(14, 2)) != 0 && s[16] is >= 1 and <= 4 && (s[21] == 0xF0 || s[21] >= 0xF8);
    }

    /// <summary>Parses and validates a boot sector of a volume of <paramref name="volumeBytes"/>. Pure.</summary>
    public static FatBootSector Parse(ReadOnlySpan<byte> s, long volumeBytes, string? path)
    {
        if (!Looks(s))
        {
            throw Error(path, ImageError.BadHeader, "boot sector at byte 0 has no valid BIOS parameter block");
        }
        int bps = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(11, 2));
        int spc = s[13];
        int reserved = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(14, 2));
        int fats = s[16];
        int rootEntries = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(17, 2));
        long total = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(19, 2));
        if (total == 0)
        {
            total = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(32, 4));
        }
        long fatSize = BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(22, 2));
        var fat32Layout = fatSize == 0;
        if (fat32Layout)
        {
            fatSize = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(36, 4));
        }
        if (fatSize == 0 || total == 0)
        {
            throw Error(path, ImageError.BadHeader, string.Create(CultureInfo.InvariantCulture, $"boot sector at byte 0: FAT size {fatSize}, total sectors {total}"));
        }
        if (total > volumeBytes / bps)
        {
            throw Error(path, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"boot sector at byte 0: {total} sectors of {bps} bytes, more than the volume's {volumeBytes} bytes hold"));
        }
        var rootSectors = ((long)rootEntries * DirEntrySize + bps - 1) / bps;
        var metaSectors = reserved + (fats * fatSize) + rootSectors;
        if (metaSectors >= total)
        {
            throw Error(path, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"boot sector at byte 0: reserved, FAT and root directory sectors ({metaSectors}) fill the whole volume ({total})"));
        }
        var clusters = (total - metaSectors) / spc;
        var bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
        if (bits == 32 != fat32Layout || (bits == 32 && rootEntries != 0))
        {
            throw Error(path, ImageError.BadHeader, string.Create(CultureInfo.InvariantCulture,
                $"boot sector at byte 0: {clusters} clusters make FAT{bits}, but the BPB is laid out for {(fat32Layout ? "FAT32" : "FAT12/16")}"));
        }
        if (clusters > 0x0FFFFFF5 || (clusters + 2) * bits > fatSize * bps * 8)
        {
            throw Error(path, ImageError.SizeOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"boot sector at byte 0: {clusters} clusters do not fit a FAT of {fatSize} sectors"));
        }
        uint rootCluster = 0;
        if (bits == 32)
        {
            rootCluster = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(44, 4));
            if (rootCluster < 2 || rootCluster > clusters + 1)
            {
                throw Error(path, ImageError.PointerOutOfRange, string.Create(CultureInfo.InvariantCulture,
                    $"boot sector at byte 0: root cluster {rootCluster} is outside 2..{clusters + 1}"));
            }
        }
        // Extended boot signature 0x29: the volume id and label that follow are meaningful.
        var ext = bits == 32 ? 64 : 36;
        uint? id = null;
        string? label = null;
        if (s[ext + 2] == 0x29)
        {
            id = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(ext + 3, 4));
            label = Encoding.Latin1.GetString(s.Slice(ext + 7, 11)).TrimEnd(' ', '\0');
            if (label.Length == 0 || label == "NO NAME")
            {
                label = null;
            }
        }
        return new FatBootSector(bps, spc, reserved, fats, rootEntries, total, fatSize, rootCluster, bits, clusters, id, label);
    }

    internal static FileSystemFormatException Error(string? path, ImageError reason, string problem) => new(path, "vfat", reason, problem);
}
