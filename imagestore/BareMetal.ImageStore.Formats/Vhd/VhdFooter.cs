using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>
/// The 512-byte VHD footer ("hard disk footer" in Microsoft's VHD specification), big-endian. A
/// fixed disk has it only at the end of the file; dynamic and differencing disks also keep a copy
/// at offset 0.
/// </summary>
public sealed record VhdFooter
{
    /// <summary>Size of the footer on disk (qemu and old Virtual PC wrote 511-byte footers; we need 512).</summary>
    public const int Size = 512;

    /// <summary>Offset of the 4-byte checksum inside the footer.</summary>
    public const int ChecksumOffset = 64;

    /// <summary>CHS geometry qemu treats as "the disk is bigger than CHS can say": 65535 x 16 x 255.</summary>
    public const long MaxGeometrySectors = 65535L * 16 * 255;

    /// <summary>Largest VHD qemu (and Hyper-V) accept: 0xff000000 sectors = 2040 GiB.</summary>
    public const long MaxSectors = 0xff000000L;

    /// <summary>"conectix": the footer cookie.</summary>
    public static ReadOnlySpan<byte> Cookie => "conectix"u8;

    public required uint Features { get; init; }
    public required uint FormatVersion { get; init; }
    /// <summary>Absolute offset of the dynamic header; all ones for fixed disks.</summary>
    public required ulong DataOffset { get; init; }
    /// <summary>Seconds since 2000-01-01 00:00 UTC.</summary>
    public required uint Timestamp { get; init; }
    /// <summary>Four ASCII bytes naming the writer ("vpc ", "qemu", "qem2", "win ", "d2v ", "tap\0" ...).</summary>
    public required string CreatorApp { get; init; }
    public required uint CreatorVersion { get; init; }
    public required uint CreatorHostOs { get; init; }
    public required ulong OriginalSize { get; init; }
    public required ulong CurrentSize { get; init; }
    public required ushort Cylinders { get; init; }
    public required byte Heads { get; init; }
    public required byte SectorsPerTrack { get; init; }
    public required VhdDiskType DiskType { get; init; }
    public required uint StoredChecksum { get; init; }
    public required uint ComputedChecksum { get; init; }
    public required Guid UniqueId { get; init; }
    public required byte SavedState { get; init; }

    public bool ChecksumValid => StoredChecksum == ComputedChecksum;

    public long ChsSectors => (long)Cylinders * Heads * SectorsPerTrack;

    /// <summary>True when the cookie is at the start of <paramref name="sector"/>.</summary>
    public static bool HasCookie(ReadOnlySpan<byte> sector) => sector.StartsWith(Cookie);

    /// <summary>Decodes a footer. The caller checks <see cref="ChecksumValid"/>; the cookie must be present.</summary>
    public static VhdFooter Parse(ReadOnlySpan<byte> sector)
    {
        if (sector.Length < Size || !HasCookie(sector))
        {
            throw new ArgumentException("not a VHD footer", nameof(sector));
        }
        return new VhdFooter
        {
            Features = BinaryPrimitives.ReadUInt32BigEndian(sector[8..]),
            FormatVersion = BinaryPrimitives.ReadUInt32BigEndian(sector[12..]),
            DataOffset = BinaryPrimitives.ReadUInt64BigEndian(sector[16..]),
            Timestamp = BinaryPrimitives.ReadUInt32BigEndian(sector[24..]),
            CreatorApp = Encoding.Latin1.GetString(sector.Slice(28, 4)),
            CreatorVersion = BinaryPrimitives.ReadUInt32BigEndian(sector[32..]),
            CreatorHostOs = BinaryPrimitives.ReadUInt32BigEndian(sector[36..]),
            OriginalSize = BinaryPrimitives.ReadUInt64BigEndian(sector[40..]),
            CurrentSize = BinaryPrimitives.ReadUInt64BigEndian(sector[48..]),
            Cylinders = BinaryPrimitives.ReadUInt16BigEndian(sector[56..]),
            Heads = sector[58],
            SectorsPerTrack = sector[59],
            DiskType = (VhdDiskType)BinaryPrimitives.ReadUInt32BigEndian(sector[60..]),
            StoredChecksum = BinaryPrimitives.ReadUInt32BigEndian(sector[ChecksumOffset..]),
            ComputedChecksum = VhdChecksum.Compute(sector[..Size], ChecksumOffset),
            // The unique id is stored as 16 raw bytes; big-endian GUID order keeps its text form stable.
            UniqueId = new Guid(sector.Slice(68, 16), bigEndian: true),
            SavedState = sector[84],
        };
    }

    /// <summary>
    /// qemu's rule for the guest-visible size (block/vpc.c): Virtual PC and qemu's old "qemu" creator
    /// size the disk by CHS geometry; Hyper-V ("win "), qemu with force_size ("qem2"), disk2vhd ("d2v "),
    /// XenConverter ("CTXS") and XenServer ("tap\0") by the current-size field. A geometry at its
    /// maximum means the disk outgrew CHS, so the current size is used then too.
    /// </summary>
    public bool UsesCurrentSize =>
        CreatorApp is "win " or "qem2" or "d2v " or "CTXS" or "tap\0" || ChsSectors == MaxGeometrySectors;

    /// <summary>Guest-visible size in bytes, a multiple of 512 (qemu counts whole sectors).</summary>
    public long VirtualSectors => UsesCurrentSize ? (long)(CurrentSize / 512) : ChsSectors;
}
