using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using BareMetal.ImageStore.Formats.Raw;
using BareMetal.ImageStore.Formats.Vhd;

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// A VHDX image (MS-VHDX): fixed, dynamic or differencing, read-only. A pending log is replayed into
/// an in-memory overlay (<see cref="VhdxOverlay"/>) that every read consults; the file is never written.
/// </summary>
public sealed class VhdxDisk : VirtualDisk
{
    /// <summary>"vhdxfile": the file type identifier at offset 0.</summary>
    private static ReadOnlySpan<byte> FileSignature => "vhdxfile"u8;

    /// <summary>The creator string after the signature: 256 UTF-16 characters.</summary>
    private const int CreatorBytes = 512;

    /// <summary>Everything before 1 MiB is the header section (identifier, headers, region tables).</summary>
    private const long HeaderSection = 1 << 20;

    /// <summary>Sector bitmap blocks are always 1 MiB.</summary>
    private const long BitmapBlockSize = 1 << 20;

    private readonly VhdxHeader _header;
    private readonly VhdxMetadata _metadata;
    private readonly VhdxOverlay _overlay;
    private readonly VhdxBatEntry[] _payload;
    private readonly VhdxBatEntry[] _bitmaps;
    private readonly string _creator;
    private readonly string? _parentName;
    private readonly VhdxRegionTable _regions;

    private VhdxDisk(FileSource file, VirtualDisk? backing, VhdxHeader header, VhdxMetadata metadata, VhdxOverlay overlay,
        VhdxBatEntry[] payload, VhdxBatEntry[] bitmaps, string creator, string? parentName, VhdxRegionTable regions)
        : base(file, backing)
    {
        _regions = regions;
        _header = header;
        _metadata = metadata;
        _overlay = overlay;
        _payload = payload;
        _bitmaps = bitmaps;
        _creator = creator;
        _parentName = parentName;
    }

    public override ImageFormat Format => ImageFormat.Vhdx;

    public override long Length => _metadata.VirtualDiskSize;

    /// <summary>Changes whenever guest-visible data changes; a child's parent_linkage names its parent by it.</summary>
    public Guid DataWriteGuid => _header.DataWriteGuid;

    /// <summary>Log entries replayed in memory when the image was opened (0 for a clean image).</summary>
    public int LogEntriesReplayed => _overlay.EntriesReplayed;

    public static VirtualDisk Open(FileSource file, OpenContext context)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(context);
        var layout = ReadLayout(file.ReadExactlyOrZero, file.Length, file.Path);
        VirtualDisk? backing = null;
        string? parentName = null;
        if (layout.Metadata.HasParent)
        {
            (backing, parentName) = OpenParent(file, context, layout.Metadata.ParentLocator!);
        }
        return new VhdxDisk(file, backing, layout.Header, layout.Metadata, layout.Overlay, layout.Payload, layout.Bitmaps, layout.Creator, parentName, layout.Regions);
    }

    /// <summary>Reads and validates everything but the payload; I/O only through <paramref name="read"/>.</summary>
    internal static VhdxLayout ReadLayout(ReadAt read, long len, string? path)
    {
        if (len < VhdxRegionTable.Table2Offset + VhdxRegionTable.Size)
        {
            throw Error(path, ImageError.Truncated, $"file of {len} bytes is shorter than the VHDX header section");
        }
        var ident = new byte[8 + CreatorBytes];
        read(0, ident);
        if (!ident.AsSpan().StartsWith(FileSignature))
        {
            throw Error(path, ImageError.BadHeader, "no 'vhdxfile' signature at offset 0");
        }
        var creator = Encoding.Unicode.GetString(ident, 8, CreatorBytes);
        creator = creator.Contains('\0', StringComparison.Ordinal) ? creator[..creator.IndexOf('\0', StringComparison.Ordinal)] : creator;

        var header = ReadHeader(read, path);
        var overlay = ReplayLog(read, header, len, path);
        var effectiveLength = Math.Max(len, overlay.LastFileOffset);
        var regions = ReadRegionTable(read, overlay, header, effectiveLength, path);
        var metadata = ReadMetadata(read, overlay, regions.Metadata, path);
        var (payload, bitmaps) = ReadBat(read, overlay, regions.Bat, metadata, effectiveLength, path);
        return new VhdxLayout(header, overlay, metadata, payload, bitmaps, creator, regions);
    }

    private static ImageFormatException Error(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Vhdx, reason, problem);

    private static VhdxHeader ReadHeader(ReadAt read, string? path)
    {
        var h1 = new byte[VhdxHeader.Size];
        var h2 = new byte[VhdxHeader.Size];
        read(VhdxHeader.Header1Offset, h1);
        read(VhdxHeader.Header2Offset, h2);
        var (header, problem) = VhdxHeader.Choose(h1, h2);
        if (header is null)
        {
            throw Error(path, problem.Contains("CRC", StringComparison.Ordinal) ? ImageError.BadChecksum : ImageError.BadHeader, problem);
        }
        if (header.LogVersion != 0)
        {
            throw Error(path, ImageError.Unsupported, $"log version {header.LogVersion} is not 0");
        }
        return header;
    }

    /// <summary>Validates the log's place and, when it may hold entries, replays them into an overlay.</summary>
    private static VhdxOverlay ReplayLog(ReadAt read, VhdxHeader header, long len, string? path)
    {
        if (header.LogOffset % VhdxHeader.LogAlignment != 0 || header.LogOffset < (ulong)HeaderSection ||
            header.LogLength % VhdxHeader.LogAlignment != 0 ||
            header.LogOffset > (ulong)len || header.LogLength > len - (long)header.LogOffset)
        {
            throw Error(path, ImageError.PointerOutOfRange,
                $"log at 0x{header.LogOffset:x} of {header.LogLength} bytes is misaligned or runs past the end of the file ({len} bytes)");
        }
        if (header.LogGuid == Guid.Empty || header.LogLength == 0)
        {
            return VhdxOverlay.Empty;
        }
        if (header.LogLength > ImageLimits.MaxTableBytes)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"log of {header.LogLength} bytes exceeds the {ImageLimits.MaxTableBytes}-byte limit");
        }
        var log = new byte[header.LogLength];
        read((long)header.LogOffset, log);
        var overlay = VhdxOverlay.Build(VhdxLog.ActiveSequence(log, header.LogGuid), path);
        if (overlay.EntriesReplayed > 0 && overlay.FlushedFileOffset > len)
        {
            throw Error(path, ImageError.Truncated,
                $"the log says the file held at least {overlay.FlushedFileOffset} bytes but it has {len}: it was truncated");
        }
        return overlay;
    }

    /// <summary>Reads file bytes as they are after log replay.</summary>
    private static void ReadReplayed(ReadAt read, VhdxOverlay overlay, long offset, Span<byte> dest)
    {
        read(offset, dest);
        overlay.Apply(offset, dest);
    }

    private static VhdxRegionTable ReadRegionTable(ReadAt read, VhdxOverlay overlay, VhdxHeader header, long effectiveLength, string? path)
    {
        var block = new byte[VhdxRegionTable.Size];
        ReadReplayed(read, overlay, VhdxRegionTable.Table1Offset, block);
        var problem = VhdxRegionTable.ChecksumProblem(block);
        if (problem is not null)
        {
            ReadReplayed(read, overlay, VhdxRegionTable.Table2Offset, block);
            var second = VhdxRegionTable.ChecksumProblem(block);
            if (second is not null)
            {
                throw Error(path, problem.Contains("CRC", StringComparison.Ordinal) || second.Contains("CRC", StringComparison.Ordinal)
                        ? ImageError.BadChecksum : ImageError.BadHeader,
                    $"no valid region table (first: {problem}; second: {second})");
            }
        }
        return VhdxRegionTable.Parse(block, effectiveLength, ((long)header.LogOffset, header.LogLength), path);
    }

    private static VhdxMetadata ReadMetadata(ReadAt read, VhdxOverlay overlay, VhdxRegionEntry region, string? path)
    {
        if (region.Length > ImageLimits.MaxTableBytes)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"metadata region of {region.Length} bytes exceeds the {ImageLimits.MaxTableBytes}-byte limit");
        }
        var table = new byte[Math.Min(VhdxMetadata.TableSize, region.Length)];
        ReadReplayed(read, overlay, region.FileOffset, table);
        var need = VhdxMetadata.RequiredLength(table, region.Length);
        if (need <= table.Length)
        {
            return VhdxMetadata.Parse(table, path);
        }
        var bytes = new byte[need];
        ReadReplayed(read, overlay, region.FileOffset, bytes);
        return VhdxMetadata.Parse(bytes, path);
    }

    private static (VhdxBatEntry[] Payload, VhdxBatEntry[] Bitmaps) ReadBat(ReadAt read, VhdxOverlay overlay, VhdxRegionEntry region,
        VhdxMetadata md, long effectiveLength, string? path)
    {
        var entries = md.BatEntries;
        var bytes = entries * 8;
        if (bytes > region.Length)
        {
            throw Error(path, ImageError.SizeOutOfRange,
                $"BAT region of {region.Length} bytes cannot hold the {entries} entries a {md.VirtualDiskSize}-byte disk needs");
        }
        if (bytes > ImageLimits.MaxTableBytes)
        {
            throw Error(path, ImageError.SizeOutOfRange, $"BAT of {bytes} bytes exceeds the {ImageLimits.MaxTableBytes}-byte table limit");
        }
        var raw = new byte[bytes];
        ReadReplayed(read, overlay, region.FileOffset, raw);
        var ratio = md.ChunkRatio;
        var payload = new VhdxBatEntry[md.DataBlocks];
        var bitmaps = new VhdxBatEntry[md.HasParent ? (md.DataBlocks + ratio - 1) / ratio : 0];
        for (long i = 0; i < payload.Length; i++)
        {
            var e = new VhdxBatEntry(BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan((int)((i + (i / ratio)) * 8))));
            if (!e.IsKnownState || (e.State == VhdxBlockState.PartiallyPresent && !md.HasParent))
            {
                throw Error(path, ImageError.BadHeader, $"BAT entry for block {i} has state {(int)e.State}, invalid for this disk");
            }
            if (e.State is VhdxBlockState.FullyPresent or VhdxBlockState.PartiallyPresent)
            {
                // Like qemu, allow the last block to be cut short at the end of the virtual disk.
                var need = Math.Min(md.BlockSize, md.VirtualDiskSize - (i * md.BlockSize));
                if (e.FileOffset < HeaderSection || e.FileOffset > effectiveLength - need)
                {
                    throw Error(path, ImageError.PointerOutOfRange,
                        $"BAT entry for block {i} points to 0x{e.FileOffset:x}, outside the file ({effectiveLength} bytes)");
                }
            }
            payload[i] = e;
        }
        for (long c = 0; c < bitmaps.Length; c++)
        {
            var e = new VhdxBatEntry(BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan((int)(((c * (ratio + 1)) + ratio) * 8))));
            if (e.State is not (VhdxBlockState.NotPresent or VhdxBlockState.FullyPresent))
            {
                throw Error(path, ImageError.BadHeader, $"sector bitmap entry {c} has state {(int)e.State}");
            }
            if (e.State == VhdxBlockState.FullyPresent && (e.FileOffset < HeaderSection || e.FileOffset > effectiveLength - BitmapBlockSize))
            {
                throw Error(path, ImageError.PointerOutOfRange,
                    $"sector bitmap entry {c} points to 0x{e.FileOffset:x}, outside the file ({effectiveLength} bytes)");
            }
            bitmaps[c] = e;
        }
        for (long i = 0; i < payload.Length; i++)
        {
            if (payload[i].State == VhdxBlockState.PartiallyPresent && bitmaps[i / ratio].State != VhdxBlockState.FullyPresent)
            {
                throw Error(path, ImageError.BadHeader, $"block {i} is partially present but its sector bitmap block is absent");
            }
        }
        return (payload, bitmaps);
    }

    /// <summary>
    /// Opens the parent named by the locator: relative_path first, then absolute_win32_path, then
    /// either name's file name beside the child. parent_linkage must equal the parent's DataWriteGuid.
    /// </summary>
    private static (VirtualDisk? Parent, string? Name) OpenParent(FileSource file, OpenContext context, VhdxParentLocator locator)
    {
        if (locator.LocatorType != VhdxKnownIds.VhdxParentLocatorType)
        {
            throw Error(file.Path, ImageError.Unsupported, $"parent locator type {locator.LocatorType} is not the VHDX locator");
        }
        var names = new List<string>();
        foreach (var key in new[] { "relative_path", "absolute_win32_path" })
        {
            if (locator.Entries.TryGetValue(key, out var v) && v.Length > 0)
            {
                var n = v.Replace('\\', '/');
                names.Add(n.StartsWith("./", StringComparison.Ordinal) ? n[2..] : n);
            }
        }
        names.AddRange(names.Select(n => System.IO.Path.GetFileName(n)).Where(n => n.Length > 0).ToList());
        if (!context.Options.FollowBacking)
        {
            return (null, names.FirstOrDefault());
        }
        if (names.Count == 0)
        {
            throw Error(file.Path, ImageError.BadBackingChain, "differencing disk's parent locator has no relative_path or absolute_win32_path");
        }
        var dir = System.IO.Path.GetDirectoryName(file.Path) ?? ".";
        var found = names.FirstOrDefault(n => !n.Contains('\0', StringComparison.Ordinal) && System.IO.File.Exists(System.IO.Path.Combine(dir, n)))
                    ?? throw Error(file.Path, ImageError.BadBackingChain,
                        $"parent '{names[0]}' not found (tried {string.Join(", ", names.Distinct(StringComparer.Ordinal).Select(n => $"'{n}'"))})");
        var parent = context.OpenBacking(file.Path, ImageFormat.Vhdx, found, null);
        if (parent is VhdxDisk vhdx && locator.Entries.TryGetValue("parent_linkage", out var linkage) &&
            Guid.TryParse(linkage, out var expected) && vhdx.DataWriteGuid != expected)
        {
            parent.Dispose();
            throw Error(file.Path, ImageError.BadBackingChain,
                $"parent '{found}' has data write GUID {vhdx.DataWriteGuid} but parent_linkage expects {expected}");
        }
        return (parent, found);
    }

    /// <summary>
    /// Walks the map (validating every lookup), then checks, like qemu's vhdx_check, that the header
    /// section, the log, every region and every payload and sector bitmap block occupy their own bytes
    /// of the file. Regions are as replayed from the log; the file is never written.
    /// </summary>
    public override CheckReport Check(CancellationToken cancellationToken = default)
    {
        var report = base.Check(cancellationToken);
        var regions = new FileRegions();
        regions.Add(0, HeaderSection, "the header section");
        regions.Add((long)_header.LogOffset, _header.LogLength, "the log");
        foreach (var r in _regions.Entries)
        {
            var what = r.Id == _regions.Bat.Id ? "the BAT region" : r.Id == _regions.Metadata.Id ? "the metadata region"
                : string.Create(CultureInfo.InvariantCulture, $"region {r.Id}");
            regions.Add(r.FileOffset, r.Length, what);
        }
        for (long i = 0; i < _payload.Length; i++)
        {
            var e = _payload[i];
            if (e.State is VhdxBlockState.FullyPresent or VhdxBlockState.PartiallyPresent)
            {
                // The last block may be cut short at the end of the virtual disk (qemu allows it too).
                var need = Math.Min(_metadata.BlockSize, _metadata.VirtualDiskSize - (i * _metadata.BlockSize));
                regions.Add(e.FileOffset, need, string.Create(CultureInfo.InvariantCulture, $"payload block {i}"));
            }
        }
        for (long c = 0; c < _bitmaps.Length; c++)
        {
            if (_bitmaps[c].State == VhdxBlockState.FullyPresent)
            {
                regions.Add(_bitmaps[c].FileOffset, BitmapBlockSize, string.Create(CultureInfo.InvariantCulture, $"sector bitmap block {c}"));
            }
        }
        regions.Report(report, Math.Max(File.Length, _overlay.LastFileOffset), cancellationToken);
        return report;
    }

    public override ImageDetails Describe()
    {
        var md = _metadata;
        var features = new Dictionary<string, string>
        {
            ["creator"] = _creator,
            ["logical-sector-size"] = md.LogicalSectorSize.ToString(CultureInfo.InvariantCulture),
            ["physical-sector-size"] = md.PhysicalSectorSize.ToString(CultureInfo.InvariantCulture),
            ["leave-blocks-allocated"] = md.LeaveBlocksAllocated ? "yes" : "no",
            ["has-parent"] = md.HasParent ? "yes" : "no",
            ["page83"] = md.Page83.ToString(),
            ["data-write-guid"] = _header.DataWriteGuid.ToString(),
            ["log"] = _overlay.EntriesReplayed > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{_overlay.EntriesReplayed} entries replayed in memory ({_overlay.SectorCount} sectors)")
                : "empty",
        };
        if (md.ParentLocator is { } loc)
        {
            foreach (var (k, v) in loc.Entries)
            {
                features["parent-" + k.Replace('_', '-')] = v;
            }
        }
        return new ImageDetails
        {
            Format = ImageFormat.Vhdx,
            Path = Path,
            VirtualSize = Length,
            AllocatedSize = RawDisk.AllocatedBytes(File),
            ClusterSize = (int)md.BlockSize,
            Subformat = md.HasParent ? "differencing" : md.LeaveBlocksAllocated ? "fixed" : "dynamic",
            Features = features,
            BackingFile = _parentName,
            BackingFormat = Backing?.Format,
        };
    }

    protected internal override BlockRun Lookup(long offset, long maxLength)
    {
        long blockSize = _metadata.BlockSize;
        var block = offset / blockSize;
        var inBlock = offset - (block * blockSize);
        var n = Math.Min(blockSize - inBlock, maxLength);
        var e = _payload[block];
        switch (e.State)
        {
            case VhdxBlockState.FullyPresent:
                return DataRun(e.FileOffset + inBlock, n);
            case VhdxBlockState.PartiallyPresent:
                return PartialRun(block, e, inBlock, n);
            case VhdxBlockState.NotPresent:
                // Without a parent qemu reads absent blocks as zeros (and its map calls every byte
                // present): report present zeros, like a dynamic VHD's unallocated blocks.
                return _metadata.HasParent ? BlockRun.Unallocated(n) : BlockRun.Zero(n);
            default:
                return BlockRun.Zero(n);
        }
    }

    /// <summary>Plain data, except where the replayed log changed the bytes: those sectors are Encoded runs.</summary>
    private BlockRun DataRun(long host, long n)
    {
        if (_overlay.IsEmpty)
        {
            return BlockRun.Data(n, host);
        }
        var next = _overlay.NextSectorAfter(host);
        if (next >= host + n)
        {
            return BlockRun.Data(n, host);
        }
        if (next > host)
        {
            return BlockRun.Data(next - host, host);
        }
        return new BlockRun(Math.Min(n, next + VhdxLogEntry.SectorSize - host), BlockState.Encoded, host);
    }

    /// <summary>A differencing block: the sector bitmap (LSB first) says which sectors are here.</summary>
    private BlockRun PartialRun(long block, VhdxBatEntry e, long inBlock, long n)
    {
        var md = _metadata;
        var ratio = md.ChunkRatio;
        long sectorSize = md.LogicalSectorSize;
        var sectorsPerBlock = md.BlockSize / sectorSize;
        var firstSector = ((block % ratio) * sectorsPerBlock) + (inBlock / sectorSize);
        var endSector = ((block % ratio) * sectorsPerBlock) + ((inBlock + n + sectorSize - 1) / sectorSize);
        var firstByte = firstSector / 8;
        var bits = new byte[((endSector + 7) / 8) - firstByte];
        ReadReplayed(File.ReadExactlyOrZero, _overlay, _bitmaps[block / ratio].FileOffset + firstByte, bits);
        var present = Bit(bits, firstSector - (firstByte * 8));
        var s = firstSector + 1;
        while (s < endSector && Bit(bits, s - (firstByte * 8)) == present)
        {
            s++;
        }
        var runBytes = Math.Min(((s - firstSector) * sectorSize) - (inBlock % sectorSize), n);
        return present ? DataRun(e.FileOffset + inBlock, runBytes) : BlockRun.Unallocated(runBytes);
    }

    private static bool Bit(byte[] bits, long index) => (bits[index >> 3] & (1 << (int)(index & 7))) != 0;

    protected internal override void ReadEncoded(long offset, in BlockRun run, Span<byte> dest) =>
        ReadReplayed(File.ReadExactlyOrZero, _overlay, run.HostOffset, dest);
}
