using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Testing.Boot;

/// <summary>
/// The UEFI twin of <see cref="MarkerBootDisk"/>: a raw disk that UEFI firmware (OVMF, or iPXE's UEFI
/// `sanboot`) boots by its removable-media path, printing a marker line on COM1 (I/O port 0x3F8).
/// Layout: an MBR whose one partition (type 0xEF, EFI system partition) holds a FAT16 file system
/// with a single file, \EFI\BOOT\BOOTX64.EFI: a hand-laid PE32+ EFI application of 37 bytes of
/// x86-64 code (listed below) followed by the marker. Everything is written here byte by byte; no
/// mkfs or linker is needed.
/// </summary>
public static class UefiMarkerBootDisk
{
    public const long DefaultSize = 32L << 20;

    /// <summary>Room for the marker in the application's one code page.</summary>
    public const int MaxMarkerLength = 400;

    private const int SectorSize = 512;

    /// <summary>The partition starts at 1 MiB, as partitioning tools align it.</summary>
    private const int PartitionStart = 2048;

    private const int SectorsPerCluster = 4;
    private const int ReservedSectors = 1;
    private const int FatCount = 2;
    private const int RootEntries = 512;
    private const int RootDirSectors = RootEntries * 32 / SectorSize;

    /// <summary>FAT date of every entry: 2026-01-01 (bits: year-1980 | month | day).</summary>
    private const ushort FatDate = ((2026 - 1980) << 9) | (1 << 5) | 1;

    private const int CodeLength = 37;

    /// <summary>
    /// The EFI application: DOS stub header, PE32+ headers (x86-64, EFI application subsystem 10, one
    /// .text section at RVA 0x1000) and the code page. No relocations: the code is position independent
    /// (RIP-relative), so the firmware may load it anywhere.
    /// </summary>
    public static byte[] EfiApplication(string marker)
    {
        ArgumentNullException.ThrowIfNull(marker);
        if (marker.Length > MaxMarkerLength || marker.Any(c => c is < ' ' or > '~'))
        {
            throw new ArgumentException($"marker must be 0..{MaxMarkerLength} printable ASCII characters", nameof(marker));
        }
        const int HeadersSize = 0x200;
        const int TextRva = 0x1000;
        const int TextSize = 0x200;
        var image = new byte[HeadersSize + TextSize];
        var span = image.AsSpan();
        // DOS header: "MZ" and e_lfanew (offset 0x3C) pointing at the PE signature.
        span[0] = (byte)'M';
        span[1] = (byte)'Z';
        const int Pe = 0x40;
        BinaryPrimitives.WriteInt32LittleEndian(span[0x3C..], Pe);
        "PE\0\0"u8.CopyTo(span[Pe..]);
        // COFF file header.
        var coff = span[(Pe + 4)..];
        BinaryPrimitives.WriteUInt16LittleEndian(coff, 0x8664);            // Machine: x86-64
        BinaryPrimitives.WriteUInt16LittleEndian(coff[2..], 1);            // NumberOfSections
        BinaryPrimitives.WriteUInt16LittleEndian(coff[16..], 0xF0);        // SizeOfOptionalHeader (PE32+ with 16 directories)
        BinaryPrimitives.WriteUInt16LittleEndian(coff[18..], 0x0022);      // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE (relocs not stripped: loadable anywhere)
        // Optional header, PE32+.
        var opt = span[(Pe + 24)..];
        BinaryPrimitives.WriteUInt16LittleEndian(opt, 0x20B);              // Magic: PE32+
        BinaryPrimitives.WriteInt32LittleEndian(opt[4..], TextSize);       // SizeOfCode
        BinaryPrimitives.WriteInt32LittleEndian(opt[16..], TextRva);       // AddressOfEntryPoint
        BinaryPrimitives.WriteInt32LittleEndian(opt[20..], TextRva);       // BaseOfCode
        BinaryPrimitives.WriteUInt64LittleEndian(opt[24..], 0x10000000);   // ImageBase (a hint; nothing needs relocating)
        BinaryPrimitives.WriteInt32LittleEndian(opt[32..], 0x1000);        // SectionAlignment
        BinaryPrimitives.WriteInt32LittleEndian(opt[36..], 0x200);         // FileAlignment
        BinaryPrimitives.WriteInt32LittleEndian(opt[56..], TextRva + 0x1000); // SizeOfImage
        BinaryPrimitives.WriteInt32LittleEndian(opt[60..], HeadersSize);   // SizeOfHeaders
        BinaryPrimitives.WriteUInt16LittleEndian(opt[68..], 10);           // Subsystem: EFI application
        BinaryPrimitives.WriteInt32LittleEndian(opt[108..], 16);           // NumberOfRvaAndSizes (all 16 directories empty)
        // Section header: .text, code | execute | read.
        var section = span[(Pe + 24 + 0xF0)..];
        ".text"u8.CopyTo(section);
        BinaryPrimitives.WriteInt32LittleEndian(section[8..], TextSize);   // VirtualSize
        BinaryPrimitives.WriteInt32LittleEndian(section[12..], TextRva);   // VirtualAddress
        BinaryPrimitives.WriteInt32LittleEndian(section[16..], TextSize);  // SizeOfRawData
        BinaryPrimitives.WriteInt32LittleEndian(section[20..], HeadersSize); // PointerToRawData
        BinaryPrimitives.WriteUInt32LittleEndian(section[36..], 0x60000020);

        byte[] code =
        [
            0x48, 0x8D, 0x35, CodeLength - 7, 0, 0, 0, // 00: lea rsi, [rip+30]   msg, right after the code
            0xFC,                               // 07: cld
            // next:
            0xAC,                               // 08: lodsb               al = [rsi++]
            0x84, 0xC0,                         // 09: test al, al
            0x74, 0x14,                         // 0B: jz done (+20 -> 0x21) NUL ends the message
            0x88, 0xC4,                         // 0D: mov ah, al          keep the character
            0x66, 0xBA, 0xFD, 0x03,             // 0F: mov dx, 0x3FD       COM1 line status register
            // wait:
            0xEC,                               // 13: in al, dx
            0xA8, 0x20,                         // 14: test al, 0x20       THRE: transmit holding register empty
            0x74, 0xFB,                         // 16: jz wait (-5 -> 0x13)
            0x88, 0xE0,                         // 18: mov al, ah
            0x66, 0xBA, 0xF8, 0x03,             // 1A: mov dx, 0x3F8       COM1 transmit holding register
            0xEE,                               // 1E: out dx, al
            0xEB, 0xE7,                         // 1F: jmp next (-25 -> 0x08)
            // done:
            0xFA,                               // 21: cli                 never returns to the firmware: the
            0xF4,                               // 22: hlt                 marker stays the last line on COM1
            0xEB, 0xFC,                         // 23: jmp done (-4 -> 0x21)
            // 25: msg
        ];
        if (code.Length != CodeLength)
        {
            throw new InvalidOperationException($"EFI code is {code.Length} bytes, expected {CodeLength}");
        }
        code.CopyTo(span[HeadersSize..]);
        Encoding.ASCII.GetBytes(marker + "\r\n").CopyTo(span[(HeadersSize + CodeLength)..]);
        return image;
    }

    /// <summary>Writes the sparse disk: MBR, then the FAT16 EFI system partition from 1 MiB to the end.</summary>
    public static void Write(string path, string marker, long size = DefaultSize)
    {
        var app = EfiApplication(marker);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8L << 20);
        var partitionSectors = checked((int)(size / SectorSize) - PartitionStart);
        var layout = Layout(partitionSectors);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.SetLength(size);
        file.Write(MasterBootRecord(partitionSectors));

        file.Position = (long)PartitionStart * SectorSize;
        file.Write(BootSector(partitionSectors, layout.FatSectors));
        // FAT: entries 0 and 1 reserved, then EFI dir (2), BOOT dir (3), BOOTX64.EFI (4..).
        var appClusters = (app.Length + ClusterBytes - 1) / ClusterBytes;
        var fat = new byte[layout.FatSectors * SectorSize];
        BinaryPrimitives.WriteUInt16LittleEndian(fat, 0xFFF8);       // media descriptor copy
        BinaryPrimitives.WriteUInt16LittleEndian(fat.AsSpan(2), 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(fat.AsSpan(4), 0xFFFF);  // EFI: one cluster
        BinaryPrimitives.WriteUInt16LittleEndian(fat.AsSpan(6), 0xFFFF);  // BOOT: one cluster
        for (var c = 0; c < appClusters; c++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(fat.AsSpan((4 + c) * 2), c == appClusters - 1 ? (ushort)0xFFFF : (ushort)(5 + c));
        }
        for (var copy = 0; copy < FatCount; copy++)
        {
            file.Position = (long)(PartitionStart + ReservedSectors + (copy * layout.FatSectors)) * SectorSize;
            file.Write(fat);
        }

        var root = new byte[RootDirSectors * SectorSize];
        DirectoryEntry(root, 0, "EFI        ", 0x10, 2, 0);
        file.Position = (long)(PartitionStart + layout.RootSector) * SectorSize;
        file.Write(root);

        var efi = new byte[ClusterBytes];
        DirectoryEntry(efi, 0, ".          ", 0x10, 2, 0);
        DirectoryEntry(efi, 1, "..         ", 0x10, 0, 0);
        DirectoryEntry(efi, 2, "BOOT       ", 0x10, 3, 0);
        WriteCluster(file, layout, 2, efi);
        var boot = new byte[ClusterBytes];
        DirectoryEntry(boot, 0, ".          ", 0x10, 3, 0);
        DirectoryEntry(boot, 1, "..         ", 0x10, 2, 0);
        DirectoryEntry(boot, 2, "BOOTX64 EFI", 0x20, 4, app.Length);
        WriteCluster(file, layout, 3, boot);
        WriteCluster(file, layout, 4, app);
    }

    private const int ClusterBytes = SectorsPerCluster * SectorSize;

    /// <summary>Sectors of one FAT and where the root directory and the data region start (partition-relative).</summary>
    private static (int FatSectors, int RootSector, int DataSector) Layout(int partitionSectors)
    {
        // Enough FAT for every cluster the rest could hold (2 bytes each, plus the two reserved entries).
        var fatSectors = (((partitionSectors / SectorsPerCluster) + 2) * 2 + SectorSize - 1) / SectorSize;
        var root = ReservedSectors + (FatCount * fatSectors);
        var clusters = (partitionSectors - root - RootDirSectors) / SectorsPerCluster;
        if (clusters is < 4085 or > 65524)
        {
            // FAT16 by the spec's only rule: the cluster count.
            throw new ArgumentException($"a {partitionSectors}-sector partition gives {clusters} clusters, not a FAT16 count");
        }
        return (fatSectors, root, root + RootDirSectors);
    }

    private static void WriteCluster(FileStream file, (int FatSectors, int RootSector, int DataSector) layout, int cluster, byte[] bytes)
    {
        file.Position = ((long)PartitionStart + layout.DataSector + ((long)(cluster - 2) * SectorsPerCluster)) * SectorSize;
        file.Write(bytes);
    }

    private static byte[] MasterBootRecord(int partitionSectors)
    {
        var mbr = new byte[SectorSize];
        var entry = mbr.AsSpan(446, 16);
        entry[0] = 0x00;                                                // not the BIOS's active partition
        entry[1] = 0xFE; entry[2] = 0xFF; entry[3] = 0xFF;              // CHS start: "use LBA"
        entry[4] = 0xEF;                                                // type: EFI system partition
        entry[5] = 0xFE; entry[6] = 0xFF; entry[7] = 0xFF;              // CHS end: "use LBA"
        BinaryPrimitives.WriteInt32LittleEndian(entry[8..], PartitionStart);
        BinaryPrimitives.WriteInt32LittleEndian(entry[12..], partitionSectors);
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        return mbr;
    }

    /// <summary>The FAT16 boot sector and BIOS parameter block (the fields every FAT driver reads).</summary>
    private static byte[] BootSector(int partitionSectors, int fatSectors)
    {
        var s = new byte[SectorSize];
        var b = s.AsSpan();
        b[0] = 0xEB; b[1] = 0x3C; b[2] = 0x90;                          // jmp short over the BPB; nop
        "BAREMETL"u8.CopyTo(b[3..]);                                    // OEM name
        BinaryPrimitives.WriteUInt16LittleEndian(b[11..], SectorSize);  // BytsPerSec
        b[13] = SectorsPerCluster;                                      // SecPerClus
        BinaryPrimitives.WriteUInt16LittleEndian(b[14..], ReservedSectors);
        b[16] = FatCount;
        BinaryPrimitives.WriteUInt16LittleEndian(b[17..], RootEntries);
        if (partitionSectors < 0x10000)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b[19..], (ushort)partitionSectors); // TotSec16
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(b[32..], partitionSectors);          // TotSec32
        }
        b[21] = 0xF8;                                                   // media: fixed disk
        BinaryPrimitives.WriteUInt16LittleEndian(b[22..], (ushort)fatSectors);         // FATSz16
        BinaryPrimitives.WriteUInt16LittleEndian(b[24..], 63);          // SecPerTrk (geometry nobody uses)
        BinaryPrimitives.WriteUInt16LittleEndian(b[26..], 255);         // NumHeads
        BinaryPrimitives.WriteInt32LittleEndian(b[28..], PartitionStart); // HiddSec: sectors before the partition
        b[36] = 0x80;                                                   // DrvNum
        b[38] = 0x29;                                                   // BootSig: the next three fields are there
        BinaryPrimitives.WriteUInt32LittleEndian(b[39..], 0xB4E3E7A1);  // VolID
        "BAREMETAL  "u8.CopyTo(b[43..]);                                // VolLab
        "FAT16   "u8.CopyTo(b[54..]);                                   // FilSysType (informative only)
        b[510] = 0x55;
        b[511] = 0xAA;
        return s;
    }

    /// <summary>One 32-byte short-name directory entry.</summary>
    private static void DirectoryEntry(byte[] dir, int index, string name83, byte attributes, ushort cluster, int size)
    {
        var e = dir.AsSpan(index * 32, 32);
        Encoding.ASCII.GetBytes(name83).CopyTo(e);
        e[11] = attributes;                                             // 0x10 directory, 0x20 archive (a file)
        BinaryPrimitives.WriteUInt16LittleEndian(e[16..], FatDate);     // CrtDate
        BinaryPrimitives.WriteUInt16LittleEndian(e[18..], FatDate);     // LstAccDate
        BinaryPrimitives.WriteUInt16LittleEndian(e[24..], FatDate);     // WrtDate
        BinaryPrimitives.WriteUInt16LittleEndian(e[26..], cluster);     // FstClusLO
        BinaryPrimitives.WriteInt32LittleEndian(e[28..], size);         // FileSize (0 for directories)
    }
}
