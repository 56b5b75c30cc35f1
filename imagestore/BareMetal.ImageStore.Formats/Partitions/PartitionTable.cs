using System.Globalization;
using BareMetal.ImageStore.Formats.FileSystems;

namespace BareMetal.ImageStore.Formats.Partitions;

/// <summary>
/// The partition table of a virtual disk of 512-byte sectors: GPT (primary header checked, backup at the
/// last LBA used when the primary is damaged) behind its protective MBR, or an MBR with its extended
/// partition's EBR chain. Read-only; every count, offset and chain link on disk is checked against the
/// limits below and the disk's size before it is followed.
/// </summary>
public sealed class PartitionTable
{
    /// <summary>Logical sector size. 4096-byte-sector GPT disks are refused by name.</summary>
    public const int SectorSize = 512;

    /// <summary>Largest GPT entry array read (the usual one is 128 x 128 = 16 KiB).</summary>
    public const int MaxGptEntryArrayBytes = 1 << 20;

    /// <summary>Largest GPT entry size accepted (128 in every writer; UEFI allows 128 x 2^n).</summary>
    public const int MaxGptEntrySize = 4096;

    /// <summary>Logical partitions followed along an EBR chain before it is called a loop.</summary>
    public const int MaxLogicalPartitions = 256;

    private PartitionTable(PartitionTableKind kind, IReadOnlyList<Partition> partitions, string? id, IReadOnlyList<string> notes)
    {
        Kind = kind;
        Partitions = partitions;
        Id = id;
        Notes = notes;
    }

    public PartitionTableKind Kind { get; }

    /// <summary>Partitions by number (an MBR extended partition is listed too, as sfdisk does).</summary>
    public IReadOnlyList<Partition> Partitions { get; }

    /// <summary>The disk's identity: the GPT disk GUID, or the MBR disk signature as "0x1234abcd" (sfdisk's "id").</summary>
    public string? Id { get; }

    /// <summary>Things worth telling the user that did not stop the read (e.g. "primary GPT header is damaged; backup used").</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>sfdisk's label name: "gpt", "dos", or null.</summary>
    public string? Label => Kind switch
    {
        PartitionTableKind.Gpt => "gpt",
        PartitionTableKind.Mbr => "dos",
        _ => null,
    };

    public static PartitionTable Empty { get; } = new(PartitionTableKind.None, [], null, []);

    /// <summary>The partition numbered <paramref name="number"/> (1-based, as Linux), or null.</summary>
    public Partition? Find(int number) => Partitions.FirstOrDefault(p => p.Number == number);

    /// <summary>
    /// Reads the table. A disk with no table gives <see cref="Empty"/>; a damaged one throws
    /// <see cref="FileSystemFormatException"/> naming the structure and its LBA.
    /// </summary>
    public static PartitionTable Read(VirtualDisk disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        var sectors = (ulong)(disk.Length / SectorSize);
        if (sectors < 2)
        {
            return Empty;
        }
        var lba0 = new byte[SectorSize];
        disk.Read(0, lba0);
        var mbr = MbrSector.TryParse(lba0);
        var lba1 = new byte[SectorSize];
        disk.Read(SectorSize, lba1);
        var gptAt1 = lba1.AsSpan(0, 8).SequenceEqual(GptHeader.Signature);
        if (mbr is not null && mbr.IsProtective || gptAt1)
        {
            if (!gptAt1 && disk.Length >= 4096 * 2 && HasSignatureAt(disk, 4096))
            {
                throw GptHeader.Error(disk.Path, ImageError.Unsupported, "the GPT is laid out for 4096-byte sectors; only 512-byte sectors are supported");
            }
            return ReadGpt(disk, lba1, sectors);
        }
        return mbr is null ? Empty : ReadMbr(disk, mbr, sectors);
    }

    private static bool HasSignatureAt(VirtualDisk disk, long offset)
    {
        Span<byte> sig = stackalloc byte[8];
        disk.Read(offset, sig);
        return sig.SequenceEqual(GptHeader.Signature);
    }

    private static PartitionTable ReadGpt(VirtualDisk disk, byte[] lba1, ulong sectors)
    {
        var notes = new List<string>();
        FileSystemFormatException? primaryProblem = null;
        try
        {
            var primary = GptHeader.Parse(lba1, 1, sectors, disk.Path);
            return GptPartitions(disk, primary, sectors, notes);
        }
        catch (FileSystemFormatException e)
        {
            primaryProblem = e;
        }
        // UEFI: when the primary header or its entry array is bad, the backup at the last LBA stands in.
        var last = sectors - 1;
        var backupSector = new byte[SectorSize];
        disk.Read(checked((long)last * SectorSize), backupSector);
        try
        {
            var backup = GptHeader.Parse(backupSector, last, sectors, disk.Path);
            notes.Add($"primary GPT is damaged ({primaryProblem.Problem}); the backup at LBA {last} was used");
            return GptPartitions(disk, backup, sectors, notes);
        }
        catch (FileSystemFormatException backupProblem)
        {
            throw GptHeader.Error(disk.Path, primaryProblem.Reason,
                $"{primaryProblem.Problem}; backup: {backupProblem.Problem}");
        }
    }

    private static PartitionTable GptPartitions(VirtualDisk disk, GptHeader h, ulong sectors, List<string> notes)
    {
        var bytes = new byte[checked((int)(h.EntryCount * h.EntrySize))];
        disk.Read(checked((long)h.EntriesLba * SectorSize), bytes);
        var crc = Crc32.Compute(bytes);
        if (crc != h.EntriesCrc)
        {
            throw GptHeader.Error(disk.Path, ImageError.BadChecksum,
                $"entry array at LBA {h.EntriesLba}: CRC32 is 0x{h.EntriesCrc:x8}, the bytes give 0x{crc:x8}");
        }
        var list = new List<Partition>();
        for (var i = 0; i < h.EntryCount; i++)
        {
            var e = GptEntry.Parse(bytes.AsSpan(checked((int)(i * h.EntrySize)), GptEntry.MinSize));
            if (e.IsUnused)
            {
                continue;
            }
            if (e.FirstLba > e.LastLba || e.LastLba >= sectors)
            {
                throw GptHeader.Error(disk.Path, ImageError.PointerOutOfRange,
                    $"entry {i + 1} at LBA {h.EntriesLba}: sectors {e.FirstLba}..{e.LastLba} lie outside the disk ({sectors} sectors)");
            }
            list.Add(new Partition(i + 1, (long)e.FirstLba * SectorSize, (long)(e.LastLba - e.FirstLba + 1) * SectorSize,
                null, e.Type, e.Unique, e.Name, (e.Attributes & GptEntry.LegacyBiosBootable) != 0));
        }
        return new PartitionTable(PartitionTableKind.Gpt, list, h.DiskGuid.ToString("D").ToUpperInvariant(), notes);
    }

    private static PartitionTable ReadMbr(VirtualDisk disk, MbrSector mbr, ulong sectors)
    {
        var list = new List<Partition>();
        Partition? extended = null;
        for (var i = 0; i < 4; i++)
        {
            var e = mbr.Entries[i];
            if (e.IsEmpty)
            {
                continue;
            }
            var p = MbrPartition(disk, i + 1, 0, e, sectors, "MBR");
            list.Add(p);
            if (PartitionTypes.IsExtended(e.Type))
            {
                if (extended is not null)
                {
                    throw MbrError(disk.Path, ImageError.BadHeader, $"MBR at LBA 0: entries {extended.Number} and {i + 1} are both extended partitions");
                }
                extended = p;
            }
        }
        if (extended is not null)
        {
            ReadLogicals(disk, extended, sectors, list);
        }
        var id = string.Create(CultureInfo.InvariantCulture, $"0x{mbr.DiskSignature:x8}");
        return new PartitionTable(PartitionTableKind.Mbr, list, id, []);
    }

    /// <summary>
    /// Follows the EBR chain: each EBR's first entry is a logical partition relative to that EBR, its
    /// second the next EBR relative to the extended partition's start. Every link must stay inside the
    /// extended partition and visit a new sector, and the chain is bounded.
    /// </summary>
    private static void ReadLogicals(VirtualDisk disk, Partition extended, ulong sectors, List<Partition> list)
    {
        var extStart = (ulong)extended.StartSector;
        var extEnd = extStart + (ulong)extended.SectorCount;
        var seen = new HashSet<ulong>();
        var ebrLba = extStart;
        var number = 5;
        var buf = new byte[SectorSize];
        while (true)
        {
            if (!seen.Add(ebrLba))
            {
                throw MbrError(disk.Path, ImageError.BadHeader, $"EBR chain loops back to LBA {ebrLba}");
            }
            if (seen.Count > MaxLogicalPartitions)
            {
                throw MbrError(disk.Path, ImageError.SizeOutOfRange, $"EBR chain is longer than {MaxLogicalPartitions} logical partitions");
            }
            disk.Read(checked((long)ebrLba * SectorSize), buf);
            var ebr = MbrSector.TryParse(buf) ??
                throw MbrError(disk.Path, ImageError.BadHeader, $"EBR at LBA {ebrLba} has no 0x55AA signature or a bad status byte");
            var logical = ebr.Entries[0];
            if (!logical.IsEmpty)
            {
                list.Add(MbrPartition(disk, number++, ebrLba, logical, sectors, $"EBR at LBA {ebrLba}"));
            }
            var next = ebr.Entries[1];
            if (next.IsEmpty)
            {
                return;
            }
            var nextLba = extStart + next.FirstLba;
            if (nextLba < extStart || nextLba >= extEnd)
            {
                throw MbrError(disk.Path, ImageError.PointerOutOfRange,
                    $"EBR at LBA {ebrLba} links to LBA {nextLba}, outside the extended partition (LBA {extStart}..{extEnd - 1})");
            }
            ebrLba = nextLba;
        }
    }

    private static Partition MbrPartition(VirtualDisk disk, int number, ulong baseLba, MbrEntry e, ulong sectors, string where)
    {
        var first = baseLba + e.FirstLba;
        if (first >= sectors || e.SectorCount > sectors - first)
        {
            throw MbrError(disk.Path, ImageError.PointerOutOfRange,
                $"{where}: partition {number} (LBA {first}, {e.SectorCount} sectors) lies past the end of the disk ({sectors} sectors)");
        }
        return new Partition(number, (long)first * SectorSize, (long)e.SectorCount * SectorSize, e.Type, null, null, null, e.Active);
    }

    private static FileSystemFormatException MbrError(string? path, ImageError reason, string problem) => new(path, "mbr", reason, problem);
}
