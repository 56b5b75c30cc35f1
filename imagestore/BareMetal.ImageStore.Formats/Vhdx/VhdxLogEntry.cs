using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// One log entry (MS-VHDX 2.3.1): a 64-byte header, descriptors filling whole 4 KiB sectors, then one
/// 4 KiB data sector per data descriptor; CRC-32C over the whole entry. <see cref="TryParse"/> accepts
/// only a fully consistent entry, because a torn write at the head of the log is normal and must
/// simply end the sequence.
/// </summary>
public sealed record VhdxLogEntry
{
    /// <summary>Every log structure is made of 4 KiB sectors.</summary>
    public const int SectorSize = 4096;

    public const int HeaderSize = 64;

    /// <summary>"loge" as a little-endian u32.</summary>
    public const uint Signature = 0x65676F6C;

    /// <summary>"data" as a little-endian u32: the first field of a data sector.</summary>
    public const uint DataSectorSignature = 0x61746164;

    public required int EntryLength { get; init; }
    /// <summary>Log offset of the oldest entry still needed when this one was written.</summary>
    public required uint Tail { get; init; }
    public required ulong SequenceNumber { get; init; }
    public required ulong FlushedFileOffset { get; init; }
    public required ulong LastFileOffset { get; init; }
    /// <summary>What the entry writes, in order: (file offset, 4 KiB of data or null for zeros, byte count).</summary>
    public required IReadOnlyList<(long FileOffset, byte[]? Data, long Length)> Writes { get; init; }

    /// <summary>Sectors the header and descriptors take: the header uses the room of two descriptors.</summary>
    public static long DescriptorSectors(long count) => (count + 2 + 127) / 128;

    /// <summary>
    /// Reads the entry that starts at <paramref name="start"/> in the circular <paramref name="log"/>
    /// and returns it when every check passes (signature, lengths, log GUID, CRC, descriptors and data
    /// sectors carry the entry's sequence number); otherwise null.
    /// </summary>
    public static VhdxLogEntry? TryParse(ReadOnlySpan<byte> log, int start, Guid logGuid)
    {
        Span<byte> head = stackalloc byte[HeaderSize];
        Circular(log, start, head);
        if (BinaryPrimitives.ReadUInt32LittleEndian(head) != Signature)
        {
            return null;
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
        var tail = BinaryPrimitives.ReadUInt32LittleEndian(head[12..]);
        var seq = BinaryPrimitives.ReadUInt64LittleEndian(head[16..]);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(head[24..]);
        if (length == 0 || length % SectorSize != 0 || length > log.Length || seq == 0 ||
            new Guid(head.Slice(32, 16)) != logGuid || tail % SectorSize != 0 || tail >= log.Length)
        {
            return null;
        }
        var descSectors = DescriptorSectors(count);
        if (descSectors * SectorSize > length)
        {
            return null;
        }
        var entry = new byte[length];
        Circular(log, start, entry);
        if (BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(4)) != Crc32C.ComputeWithZeroedField(entry, 4))
        {
            return null;
        }
        var writes = new List<(long, byte[]?, long)>((int)count);
        var dataSector = (int)descSectors;
        for (var i = 0; i < (int)count; i++)
        {
            var d = VhdxLogDescriptor.Parse(entry.AsSpan(HeaderSize + (i * VhdxLogDescriptor.Size), VhdxLogDescriptor.Size));
            if (d is not { } desc || desc.SequenceNumber != seq || desc.FileOffset % SectorSize != 0 || desc.FileOffset > long.MaxValue / 2)
            {
                return null;
            }
            if (desc.IsZero)
            {
                if (desc.ZeroLength % SectorSize != 0 || desc.ZeroLength > long.MaxValue / 2)
                {
                    return null;
                }
                writes.Add(((long)desc.FileOffset, null, (long)desc.ZeroLength));
                continue;
            }
            if ((long)(dataSector + 1) * SectorSize > length)
            {
                return null;
            }
            var sector = entry.AsSpan(dataSector * SectorSize, SectorSize);
            var sectorSeq = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(sector[4..]) << 32) |
                            BinaryPrimitives.ReadUInt32LittleEndian(sector[(SectorSize - 4)..]);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sector) != DataSectorSignature || sectorSeq != seq)
            {
                return null;
            }
            // The real sector is: 8 leading bytes (from the descriptor), 4084 bytes, 4 trailing bytes.
            var data = new byte[SectorSize];
            BinaryPrimitives.WriteUInt64LittleEndian(data, desc.LeadingBytes);
            sector[8..(SectorSize - 4)].CopyTo(data.AsSpan(8));
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(SectorSize - 4), desc.TrailingBytes);
            writes.Add(((long)desc.FileOffset, data, SectorSize));
            dataSector++;
        }
        return new VhdxLogEntry
        {
            EntryLength = (int)length,
            Tail = tail,
            SequenceNumber = seq,
            FlushedFileOffset = BinaryPrimitives.ReadUInt64LittleEndian(head[48..]),
            LastFileOffset = BinaryPrimitives.ReadUInt64LittleEndian(head[56..]),
            Writes = writes,
        };
    }

    /// <summary>Copies dest.Length bytes from the circular log starting at start, wrapping at its end.</summary>
    private static void Circular(ReadOnlySpan<byte> log, int start, Span<byte> dest)
    {
        var first = Math.Min(dest.Length, log.Length - start);
        log.Slice(start, first).CopyTo(dest);
        var done = first;
        while (done < dest.Length)
        {
            var n = Math.Min(dest.Length - done, log.Length);
            log[..n].CopyTo(dest[done..]);
            done += n;
        }
    }
}
