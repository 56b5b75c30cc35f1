using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Formats.Vhdx;

namespace BareMetal.ImageStore.Formats.Testing.Vhdx;

/// <summary>
/// Writes small VHDX files from scratch for tests (MS-VHDX layout: identifier, two headers, two
/// region tables, a 1 MiB log, metadata, BAT, then payload and sector bitmap blocks). Independent of
/// the reader under test except for the shared CRC-32C, which the interop tests prove against qemu.
/// </summary>
internal sealed class VhdxImageBuilder
{
    private const int MiB = 1 << 20;
    private const long LogOffset = 1 * MiB;
    private const long MetadataOffset = 2 * MiB;
    private const long BatOffset = 3 * MiB;

    public required long VirtualSize { get; init; }
    public uint BlockSize { get; init; } = MiB;
    public uint LogicalSectorSize { get; init; } = 512;
    public bool LeaveBlocksAllocated { get; init; }
    public Guid DataWriteGuid { get; init; } = Guid.NewGuid();
    /// <summary>Parent locator key/values; non-null makes a differencing disk.</summary>
    public Dictionary<string, string>? Parent { get; init; }

    /// <summary>Payload blocks by index: state and (for present blocks) BlockSize bytes of data.</summary>
    public Dictionary<long, (VhdxBlockState State, byte[]? Data)> Blocks { get; } = [];

    /// <summary>For partially present blocks: which logical sectors of the block are in this file.</summary>
    public Dictionary<long, bool[]> SectorMasks { get; } = [];

    public long ChunkRatio => (1L << 23) * LogicalSectorSize / BlockSize;

    public byte[] Build()
    {
        var dataBlocks = (VirtualSize + BlockSize - 1) / BlockSize;
        var chunks = (dataBlocks + ChunkRatio - 1) / ChunkRatio;
        var batEntries = Parent is not null ? chunks * (ChunkRatio + 1) : dataBlocks + ((dataBlocks - 1) / ChunkRatio);
        var batLength = ((batEntries * 8) + MiB - 1) / MiB * MiB;
        var next = BatOffset + batLength;
        var placements = new List<(long Offset, byte[] Data)>();
        var bat = new ulong[batEntries];
        foreach (var (block, (state, data)) in Blocks.OrderBy(kv => kv.Key))
        {
            ulong entry = (ulong)state;
            if (state is VhdxBlockState.FullyPresent or VhdxBlockState.PartiallyPresent)
            {
                entry |= (ulong)next;
                placements.Add((next, data ?? new byte[BlockSize]));
                next += BlockSize;
            }
            bat[block + (block / ChunkRatio)] = entry;
        }
        if (Parent is not null)
        {
            for (long c = 0; c < chunks; c++)
            {
                var masks = SectorMasks.Where(kv => kv.Key / ChunkRatio == c).ToList();
                if (masks.Count == 0)
                {
                    continue;
                }
                var bitmap = new byte[MiB];
                var sectorsPerBlock = BlockSize / LogicalSectorSize;
                foreach (var (block, mask) in masks)
                {
                    for (var s = 0; s < mask.Length; s++)
                    {
                        if (mask[s])
                        {
                            var bit = ((block % ChunkRatio) * sectorsPerBlock) + s;
                            bitmap[bit / 8] |= (byte)(1 << (int)(bit % 8));
                        }
                    }
                }
                bat[(c * (ChunkRatio + 1)) + ChunkRatio] = (ulong)next | (ulong)VhdxBlockState.FullyPresent;
                placements.Add((next, bitmap));
                next += MiB;
            }
        }
        var file = new byte[next];
        "vhdxfile"u8.CopyTo(file);
        Encoding.Unicode.GetBytes("BareMetal test builder").CopyTo(file, 8);
        WriteHeader(file.AsSpan(64 * 1024, 4096), 1, Guid.Empty);
        WriteHeader(file.AsSpan(128 * 1024, 4096), 2, Guid.Empty);
        WriteRegionTable(file.AsSpan(192 * 1024, 64 * 1024), batLength);
        WriteRegionTable(file.AsSpan(256 * 1024, 64 * 1024), batLength);
        WriteMetadata(file.AsSpan((int)MetadataOffset, MiB));
        for (var i = 0; i < bat.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan((int)BatOffset + (i * 8)), bat[i]);
        }
        foreach (var (offset, data) in placements)
        {
            data.CopyTo(file, offset);
        }
        return file;
    }

    private void WriteHeader(Span<byte> h, ulong seq, Guid logGuid)
    {
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x64616568); // "head"
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], seq);
        Guid.NewGuid().TryWriteBytes(h[16..]);
        DataWriteGuid.TryWriteBytes(h[32..]);
        logGuid.TryWriteBytes(h[48..]);
        BinaryPrimitives.WriteUInt16LittleEndian(h[66..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(h[68..], MiB);
        BinaryPrimitives.WriteUInt64LittleEndian(h[72..], LogOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], Crc32C.Compute(h));
    }

    private static void WriteRegionTable(Span<byte> t, long batLength)
    {
        t.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(t, 0x69676572); // "regi"
        BinaryPrimitives.WriteUInt32LittleEndian(t[8..], 2);
        WriteRegion(t[16..], VhdxKnownIds.BatRegion, BatOffset, (uint)batLength);
        WriteRegion(t[48..], VhdxKnownIds.MetadataRegion, MetadataOffset, MiB);
        BinaryPrimitives.WriteUInt32LittleEndian(t[4..], Crc32C.Compute(t));
    }

    private static void WriteRegion(Span<byte> e, Guid id, long offset, uint length)
    {
        id.TryWriteBytes(e);
        BinaryPrimitives.WriteUInt64LittleEndian(e[16..], (ulong)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(e[24..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(e[28..], 1);
    }

    private void WriteMetadata(Span<byte> m)
    {
        "metadata"u8.CopyTo(m);
        var items = new List<(Guid Id, byte[] Data, uint Flags)>();
        var fp = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(fp, BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(fp.AsSpan(4), (LeaveBlocksAllocated ? 1u : 0) | (Parent is not null ? 2u : 0));
        items.Add((VhdxKnownIds.FileParameters, fp, 4));
        var vds = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(vds, (ulong)VirtualSize);
        items.Add((VhdxKnownIds.VirtualDiskSize, vds, 6));
        items.Add((VhdxKnownIds.Page83Data, Guid.NewGuid().ToByteArray(), 6));
        var lss = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(lss, LogicalSectorSize);
        items.Add((VhdxKnownIds.LogicalSectorSize, lss, 6));
        var pss = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(pss, 4096);
        items.Add((VhdxKnownIds.PhysicalSectorSize, pss, 6));
        if (Parent is not null)
        {
            items.Add((VhdxKnownIds.ParentLocator, Locator(Parent), 4));
        }
        BinaryPrimitives.WriteUInt16LittleEndian(m[10..], (ushort)items.Count);
        var offset = 64 * 1024;
        for (var i = 0; i < items.Count; i++)
        {
            var e = m.Slice(32 + (i * 32), 32);
            items[i].Id.TryWriteBytes(e);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], (uint)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(e[20..], (uint)items[i].Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[24..], items[i].Flags);
            items[i].Data.CopyTo(m[offset..]);
            offset += (items[i].Data.Length + 7) & ~7;
        }
    }

    private static byte[] Locator(Dictionary<string, string> entries)
    {
        var strings = new List<byte>();
        var table = new byte[20 + (entries.Count * 12)];
        VhdxKnownIds.VhdxParentLocatorType.TryWriteBytes(table);
        BinaryPrimitives.WriteUInt16LittleEndian(table.AsSpan(18), (ushort)entries.Count);
        var i = 0;
        foreach (var (k, v) in entries)
        {
            var key = Encoding.Unicode.GetBytes(k);
            var value = Encoding.Unicode.GetBytes(v);
            var e = table.AsSpan(20 + (i * 12));
            BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)(table.Length + strings.Count));
            strings.AddRange(key);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], (uint)(table.Length + strings.Count));
            strings.AddRange(value);
            BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)key.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)value.Length);
            i++;
        }
        return [.. table, .. strings];
    }

    /// <summary>
    /// Puts one log entry (sequence 1, at the start of the log) into an existing VHDX file and sets the
    /// log GUID in both headers, as if the writer crashed before replaying it. Data writes are 4 KiB
    /// sectors; zero writes are (offset, length) ranges.
    /// </summary>
    public static void AddLogEntry(string path, IReadOnlyList<(long Offset, byte[] Sector)> dataWrites, IReadOnlyList<(long Offset, long Length)> zeroWrites,
        long? flushedFileOffset = null)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var h = new byte[4096];
        f.Position = 64 * 1024;
        f.ReadExactly(h);
        var logOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(72));
        var logGuid = Guid.NewGuid();
        const ulong seq = 1;
        var count = dataWrites.Count + zeroWrites.Count;
        var descSectors = (count + 2 + 127) / 128;
        var entry = new byte[(descSectors + dataWrites.Count) * 4096];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, 0x65676F6C); // "loge"
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), (uint)entry.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(12), 0); // tail: this entry
        BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(16), seq);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(24), (uint)count);
        logGuid.TryWriteBytes(entry.AsSpan(32));
        BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(48), (ulong)(flushedFileOffset ?? f.Length));
        BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(56), (ulong)f.Length);
        var d = 64;
        for (var i = 0; i < dataWrites.Count; i++, d += 32)
        {
            var (offset, sector) = dataWrites[i];
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(d), 0x63736564); // "desc"
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(d + 4), BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(4092)));
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(d + 8), BinaryPrimitives.ReadUInt64LittleEndian(sector));
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(d + 16), (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(d + 24), seq);
            var ds = entry.AsSpan((descSectors + i) * 4096, 4096);
            BinaryPrimitives.WriteUInt32LittleEndian(ds, 0x61746164); // "data"
            BinaryPrimitives.WriteUInt32LittleEndian(ds[4..], (uint)(seq >> 32));
            sector.AsSpan(8, 4084).CopyTo(ds[8..]);
            BinaryPrimitives.WriteUInt32LittleEndian(ds[4092..], (uint)seq);
        }
        foreach (var (offset, length) in zeroWrites)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(d), 0x6F72657A); // "zero"
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(d + 8), (ulong)length);
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(d + 16), (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(d + 24), seq);
            d += 32;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(4), Crc32C.Compute(entry));
        f.Position = logOffset;
        f.Write(entry);
        foreach (var at in new[] { 64 * 1024, 128 * 1024 })
        {
            f.Position = at;
            f.ReadExactly(h);
            logGuid.TryWriteBytes(h.AsSpan(48));
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), Crc32C.Compute(h));
            f.Position = at;
            f.Write(h);
        }
    }
}
