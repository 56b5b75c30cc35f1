using System.Globalization;

namespace BareMetal.ImageStore.Formats.Partitions;

/// <summary>Names of the partition types met in practice (util-linux fdisk's names).</summary>
public static class PartitionTypes
{
    public static readonly Guid EfiSystem = new("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    public static readonly Guid LinuxFileSystem = new("0FC63DAF-8483-4772-8E79-3D69D8477DE4");
    public static readonly Guid BiosBoot = new("21686148-6449-6E6F-744E-656564454649");

    private static readonly Dictionary<Guid, string> Gpt = new()
    {
        [EfiSystem] = "EFI System",
        [LinuxFileSystem] = "Linux filesystem",
        [BiosBoot] = "BIOS boot",
        [new Guid("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F")] = "Linux swap",
        [new Guid("E6D6D379-F507-44C2-A23C-238F2A3DF928")] = "Linux LVM",
        [new Guid("A19D880F-05FC-4D3B-A006-743F0F84911E")] = "Linux RAID",
        [new Guid("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709")] = "Linux root (x86-64)",
        [new Guid("44479540-F297-41B2-9AF7-D131D5F0458A")] = "Linux root (x86)",
        [new Guid("B921B045-1DF0-41C3-AF44-4C6F280D3FAE")] = "Linux root (ARM-64)",
        [new Guid("BC13C2FF-59E6-4262-A352-B275FD6F7172")] = "Linux extended boot",
        [new Guid("933AC7E1-2EB4-4F13-B844-0E14E2AEF915")] = "Linux home",
        [new Guid("CA7D7CCB-63ED-4C53-861C-1742536059CC")] = "Linux LUKS",
        [new Guid("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7")] = "Microsoft basic data",
        [new Guid("E3C9E316-0B5C-4DB8-817D-F92DF00215AE")] = "Microsoft reserved",
        [new Guid("DE94BBA4-06D1-4D40-A16A-BFD50179D6AC")] = "Windows recovery environment",
    };

    private static readonly Dictionary<byte, string> Mbr = new()
    {
        [0x01] = "FAT12",
        [0x04] = "FAT16 <32M",
        [0x05] = "Extended",
        [0x06] = "FAT16",
        [0x07] = "HPFS/NTFS/exFAT",
        [0x0b] = "W95 FAT32",
        [0x0c] = "W95 FAT32 (LBA)",
        [0x0e] = "W95 FAT16 (LBA)",
        [0x0f] = "W95 Ext'd (LBA)",
        [0x82] = "Linux swap / Solaris",
        [0x83] = "Linux",
        [0x85] = "Linux extended",
        [0x8e] = "Linux LVM",
        [0xa5] = "FreeBSD",
        [0xee] = "GPT",
        [0xef] = "EFI (FAT-12/16/32)",
        [0xfd] = "Linux raid autodetect",
    };

    public static string GptName(Guid type) => Gpt.TryGetValue(type, out var n) ? n : type.ToString("D").ToUpperInvariant();

    public static string MbrName(byte type) => Mbr.TryGetValue(type, out var n) ? n : string.Create(CultureInfo.InvariantCulture, $"0x{type:x2}");

    /// <summary>MBR types that hold an EBR chain of logical partitions.</summary>
    public static bool IsExtended(byte type) => type is 0x05 or 0x0f or 0x85;
}
