namespace BareMetal.ImageStore.Formats.Partitions;

/// <summary>
/// One partition as Linux numbers it: GPT slot index + 1; MBR primaries 1-4 by slot, logicals from 5
/// in EBR-chain order. Offsets are bytes on the virtual disk.
/// </summary>
/// <param name="MbrType">The MBR system id (0x83 Linux ...); null on GPT.</param>
/// <param name="TypeGuid">The GPT partition type GUID; null on MBR.</param>
/// <param name="UniqueGuid">The GPT partition's own GUID; null on MBR.</param>
/// <param name="Name">The GPT partition name (UTF-16 on disk); null on MBR.</param>
/// <param name="Bootable">MBR active flag (0x80), or GPT legacy-BIOS-bootable attribute (bit 2).</param>
public sealed record Partition(
    int Number,
    long Start,
    long Length,
    byte? MbrType,
    Guid? TypeGuid,
    Guid? UniqueGuid,
    string? Name,
    bool Bootable)
{
    /// <summary>The type as fdisk names it ("Linux filesystem", "EFI System", "W95 FAT32 (LBA)" ...).</summary>
    public string TypeName => TypeGuid is { } g ? PartitionTypes.GptName(g) : PartitionTypes.MbrName(MbrType ?? 0);

    /// <summary>The type as sfdisk --json spells it: "83" on MBR, the upper-case GUID on GPT.</summary>
    public string TypeCode => TypeGuid is { } g ? g.ToString("D").ToUpperInvariant() : (MbrType ?? 0).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True for an EFI system partition (GPT type C12A7328-..., or MBR type 0xEF).</summary>
    public bool IsEfiSystem => TypeGuid == PartitionTypes.EfiSystem || MbrType == 0xEF;

    public long StartSector => Start / PartitionTable.SectorSize;
    public long SectorCount => Length / PartitionTable.SectorSize;
}
