using BareMetal.ImageStore.Formats.FileSystems.Ext;
using BareMetal.ImageStore.Formats.FileSystems.Fat;

namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// Recognises what a volume holds by its magic numbers (blkid's places), and opens the ones we read.
/// The ones we do not read (XFS, btrfs, LUKS, LVM2, swap, squashfs, NTFS, exFAT) are named and refused,
/// never misread as something else.
/// </summary>
public static class FileSystemProbe
{
    /// <summary>Bytes read to recognise a volume: up to btrfs's superblock magic at 64 KiB + 64.</summary>
    public const int ProbeBytes = 0x10048;

    /// <summary>What a volume holds: the blkid type name, and why we refuse it (null when we read it).</summary>
    public readonly record struct Detected(string Type, string? Refusal);

    /// <summary>The file system on <paramref name="volume"/>, or null when nothing is recognised.</summary>
    public static Detected? Detect(DiskSlice volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var head = new byte[(int)Math.Min(ProbeBytes, volume.Length)];
        volume.Read(0, head, "probe", "volume head");
        return Detect(head);
    }

    /// <summary>Pure: recognises a volume from its first <see cref="ProbeBytes"/> bytes (fewer for a small volume).</summary>
    public static Detected? Detect(ReadOnlySpan<byte> h)
    {
        if (At(h, 0x8001, "CD001"u8))
        {
            return new Detected("iso9660", null);
        }
        if (At(h, 0, "XFSB"u8))
        {
            return new Detected("xfs", "XFS is not supported");
        }
        if (At(h, 0x10040, "_BHRfS_M"u8))
        {
            return new Detected("btrfs", "btrfs is not supported");
        }
        if (At(h, 0, "LUKS"u8) && h.Length >= 6 && h[4] == 0xBA && h[5] == 0xBE)
        {
            return new Detected("crypto_LUKS", "LUKS encryption is not supported (the file system inside is encrypted)");
        }
        for (var sector = 0; sector < 4; sector++)
        {
            if (At(h, sector * 512, "LABELONE"u8) && At(h, (sector * 512) + 24, "LVM2 001"u8))
            {
                return new Detected("LVM2_member", "LVM2 physical volumes are not supported");
            }
        }
        if (At(h, 4096 - 10, "SWAPSPACE2"u8) || At(h, 4096 - 10, "SWAP-SPACE"u8))
        {
            return new Detected("swap", "swap space holds no files");
        }
        if (At(h, 0, "hsqs"u8))
        {
            return new Detected("squashfs", "squashfs is not supported");
        }
        if (At(h, 3, "NTFS    "u8))
        {
            return new Detected("ntfs", "NTFS is not supported");
        }
        if (At(h, 3, "EXFAT   "u8))
        {
            return new Detected("exfat", "exFAT is not supported");
        }
        if (ExtFileSystem.Probe(h))
        {
            return new Detected("ext", null);
        }
        if (FatBootSector.Looks(h) && h[510] == 0x55 && h[511] == 0xAA)
        {
            return new Detected("vfat", null);
        }
        return null;
    }

    /// <summary>
    /// Opens the file system on <paramref name="volume"/>. Throws <see cref="FileSystemFormatException"/>
    /// naming what is there when it is something we do not read, or saying nothing was recognised.
    /// </summary>
    public static IFileSystemReader Open(DiskSlice volume)
    {
        var d = Detect(volume) ?? throw new FileSystemFormatException(volume.Name, "probe", ImageError.Unsupported, "no file system recognised");
        if (d.Refusal is { } why)
        {
            throw new FileSystemFormatException(volume.Name, d.Type, ImageError.Unsupported, why);
        }
        return d.Type switch
        {
            "ext" => ExtFileSystem.Open(volume),
            "vfat" => FatFileSystem.Open(volume),
            _ => OpenIso(volume),
        };
    }

    private static IsoFileSystemReader OpenIso(DiskSlice volume)
    {
        if (volume.Offset != 0 || volume.Length != volume.Disk.Length)
        {
            throw new FileSystemFormatException(volume.Name, "iso9660", ImageError.Unsupported, "an ISO 9660 file system inside a partition is not supported");
        }
        return new IsoFileSystemReader(Iso.IsoFileSystem.Open(volume.Disk), volume.Name);
    }

    private static bool At(ReadOnlySpan<byte> h, int offset, ReadOnlySpan<byte> magic) =>
        h.Length >= offset + magic.Length && h.Slice(offset, magic.Length).SequenceEqual(magic);
}
