using System.Globalization;
using System.Numerics;
using System.Text;
using BareMetal.ImageStore.Formats.Raw;

namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>
/// A VHD (Virtual PC / Hyper-V gen-1 "vpc") image: fixed, dynamic or differencing, read-only.
/// Reads and maps follow qemu's block/vpc.c where qemu has an opinion (size rule, unallocated blocks
/// reported as zero), and Microsoft's specification where qemu does not (sector bitmaps, parents).
/// </summary>
public sealed class VhdDisk : VirtualDisk
{
    /// <summary>Sector bitmaps kept in memory (direct-mapped by block number): bounded whatever the disk size.</summary>
    private const int BitmapCacheSlots = 64;

    /// <summary>Longest parent locator we read: a 32767-character UTF-16 Windows path.</summary>
    private const int MaxLocatorBytes = 65536;

    private readonly VhdFooter _footer;
    private readonly VhdDynamicHeader? _header;
    private readonly uint[] _bat;
    private readonly long _length;
    private readonly long _dataEnd;
    private readonly int _blockShift;
    private readonly int _bitmapBytes;
    private readonly string? _parentName;
    private readonly BitmapSlot?[] _bitmaps = new BitmapSlot?[BitmapCacheSlots];

    private VhdDisk(FileSource file, VirtualDisk? backing, VhdFooter footer, VhdDynamicHeader? header, uint[] bat, long length, string? parentName)
        : base(file, backing)
    {
        _footer = footer;
        _header = header;
        _bat = bat;
        _length = length;
        _dataEnd = file.Length - VhdFooter.Size;
        _parentName = parentName;
        if (header is not null)
        {
            _blockShift = BitOperations.Log2(header.BlockSize);
            _bitmapBytes = header.BitmapBytes;
        }
    }

    public override ImageFormat Format => ImageFormat.Vhd;

    public override long Length => _length;

    /// <summary>The footer's unique id: a differencing child names its parent by it.</summary>
    public Guid UniqueId => _footer.UniqueId;

    public VhdDiskType DiskType => _footer.DiskType;

    public static VirtualDisk Open(FileSource file, OpenContext context)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(context);
        var layout = ReadLayout(file.ReadExactlyOrZero, file.Length, file.Path);
        VirtualDisk? backing = null;
        string? parentName = null;
        if (layout.Footer.DiskType == VhdDiskType.Differencing)
        {
            (backing, parentName) = OpenParent(file, context, layout.Header!);
        }
        return new VhdDisk(file, backing, layout.Footer, layout.Header, layout.Bat, layout.Length, parentName);
    }

    /// <summary>Reads and validates footer, size, dynamic header and BAT; I/O only through <paramref name="read"/>.</summary>
    internal static VhdLayout ReadLayout(ReadAt read, long len, string? path)
    {
        if (len < VhdFooter.Size)
        {
            throw Error(path, ImageError.Truncated, $"file of {len} bytes is too small for the {VhdFooter.Size}-byte footer");
        }
        var footer = ReadFooter(read, len, path);
        if (footer.DiskType is not (VhdDiskType.Fixed or VhdDiskType.Dynamic or VhdDiskType.Differencing))
        {
            throw Error(path, ImageError.BadHeader, $"disk type {(uint)footer.DiskType} is not fixed (2), dynamic (3) or differencing (4)");
        }
        var sectors = footer.VirtualSectors;
        if (sectors > VhdFooter.MaxSectors)
        {
            throw Error(path, ImageError.SizeOutOfRange,
                $"virtual size of {sectors} sectors ({(footer.UsesCurrentSize ? "current size" : "CHS geometry")}) exceeds the VHD maximum of 2040 GiB");
        }
        var length = sectors * 512;
        if (footer.DiskType == VhdDiskType.Fixed)
        {
            if (length > len - VhdFooter.Size)
            {
                throw Error(path, ImageError.Truncated,
                    $"fixed disk of {length} bytes needs {length + VhdFooter.Size} bytes of file but the file has {len}");
            }
            return new VhdLayout(footer, length, null, []);
        }
        var header = ReadDynamicHeader(read, footer, len, path);
        return new VhdLayout(footer, length, header, ReadBat(read, header, length, len, path));
    }

    private static ImageFormatException Error(string? path, ImageError reason, string problem) =>
        new(path, ImageFormat.Vhd, reason, problem);

    /// <summary>
    /// Picks the footer: the end copy for fixed disks, the copy at offset 0 for dynamic ones, falling
    /// back to the other copy when one fails its checksum (both copies are identical when healthy).
    /// </summary>
    private static VhdFooter ReadFooter(ReadAt read, long len, string? path)
    {
        Span<byte> head = stackalloc byte[VhdFooter.Size];
        Span<byte> tail = stackalloc byte[VhdFooter.Size];
        read(0, head);
        read(len - VhdFooter.Size, tail);
        var atHead = VhdFooter.HasCookie(head) ? VhdFooter.Parse(head) : null;
        var atTail = VhdFooter.HasCookie(tail) ? VhdFooter.Parse(tail) : null;
        if (atTail is { ChecksumValid: true, DiskType: VhdDiskType.Fixed })
        {
            return atTail;
        }
        if (atHead is { ChecksumValid: true } && atHead.DiskType != VhdDiskType.Fixed)
        {
            return atHead;
        }
        if (atTail is { ChecksumValid: true })
        {
            return atTail;
        }
        var bad = atHead ?? atTail;
        if (bad is null)
        {
            throw Error(path, ImageError.BadHeader, "no 'conectix' footer at the start or the end of the file");
        }
        throw Error(path, ImageError.BadChecksum,
            $"footer checksum mismatch (stored 0x{bad.StoredChecksum:x8}, computed 0x{bad.ComputedChecksum:x8})");
    }

    private static VhdDynamicHeader ReadDynamicHeader(ReadAt read, VhdFooter footer, long len, string? path)
    {
        if (footer.DataOffset > (ulong)(len - VhdDynamicHeader.Size) || len < VhdDynamicHeader.Size)
        {
            throw Error(path, ImageError.PointerOutOfRange,
                $"dynamic header offset 0x{footer.DataOffset:x} is past the end of the file ({len} bytes)");
        }
        var buf = new byte[VhdDynamicHeader.Size];
        read((long)footer.DataOffset, buf);
        var header = VhdDynamicHeader.Parse(buf)
                     ?? throw Error(path, ImageError.BadHeader, $"no 'cxsparse' dynamic header at offset 0x{footer.DataOffset:x}");
        if (!header.ChecksumValid)
        {
            throw Error(path, ImageError.BadChecksum,
                $"dynamic header checksum mismatch (stored 0x{header.StoredChecksum:x8}, computed 0x{header.ComputedChecksum:x8})");
        }
        if (header.BlockSize < 512 || !BitOperations.IsPow2(header.BlockSize))
        {
            throw Error(path, ImageError.SizeOutOfRange, $"block size {header.BlockSize} is not a power of two of at least 512");
        }
        return header;
    }

    private static uint[] ReadBat(ReadAt read, VhdDynamicHeader header, long length, long len, string? path)
    {
        long blockSize = header.BlockSize;
        var needed = (length + blockSize - 1) / blockSize;
        if (header.MaxTableEntries < needed)
        {
            throw Error(path, ImageError.SizeOutOfRange,
                $"BAT of {header.MaxTableEntries} entries of {blockSize} bytes cannot cover the virtual size of {length} bytes");
        }
        var declaredBytes = header.MaxTableEntries * 4L;
        if (declaredBytes > ImageLimits.MaxTableBytes)
        {
            throw Error(path, ImageError.SizeOutOfRange,
                $"BAT of {header.MaxTableEntries} entries ({declaredBytes} bytes) exceeds the {ImageLimits.MaxTableBytes}-byte table limit");
        }
        if (header.TableOffset > (ulong)len || declaredBytes > len - (long)header.TableOffset)
        {
            throw Error(path, ImageError.PointerOutOfRange,
                $"BAT at 0x{header.TableOffset:x} ({declaredBytes} bytes) runs past the end of the file ({len} bytes)");
        }
        // Only the entries that cover the virtual disk are read: a header may declare more (qemu does).
        var raw = new byte[needed * 4];
        read((long)header.TableOffset, raw);
        var bat = VhdBat.Parse(raw, (int)needed);
        var bad = VhdBat.FirstOutOfRange(bat, header.BitmapBytes, blockSize, len);
        if (bad >= 0)
        {
            throw Error(path, ImageError.PointerOutOfRange,
                $"BAT entry {bad} puts block {bad} at 0x{bat[bad] * 512L:x}, past the end of the file ({len} bytes)");
        }
        return bat;
    }

    /// <summary>
    /// Finds and opens the parent of a differencing disk: the relative Windows path first (it survives
    /// moving both files together), then the Mac URL, the absolute path, the header's parent name, and
    /// finally each of those names looked up beside the child. The parent's unique id must match.
    /// </summary>
    private static (VirtualDisk? Parent, string? Name) OpenParent(FileSource file, OpenContext context, VhdDynamicHeader header)
    {
        if (!context.Options.FollowBacking)
        {
            return (null, header.ParentName.Length > 0 ? header.ParentName : null);
        }
        var names = new List<string>();
        foreach (var code in new[] { VhdParentLocator.W2ru, VhdParentLocator.MacX, VhdParentLocator.W2ku })
        {
            foreach (var loc in header.Locators.Where(l => l.PlatformCode == code))
            {
                if (ReadLocator(file, loc) is { Length: > 0 } name)
                {
                    names.Add(name);
                }
            }
        }
        if (header.ParentName.Length > 0)
        {
            names.Add(header.ParentName.Replace('\\', '/'));
        }
        names.AddRange(names.Select(n => System.IO.Path.GetFileName(n)).Where(n => n.Length > 0).ToList());
        if (names.Count == 0)
        {
            throw Error(file.Path, ImageError.BadBackingChain, "differencing disk names no parent (no locator and no parent name)");
        }
        var dir = System.IO.Path.GetDirectoryName(file.Path) ?? ".";
        var found = names.FirstOrDefault(n => !n.Contains('\0', StringComparison.Ordinal) &&
                                              System.IO.File.Exists(System.IO.Path.Combine(dir, n)));
        if (found is null)
        {
            throw Error(file.Path, ImageError.BadBackingChain,
                $"parent '{names[0]}' not found (tried {string.Join(", ", names.Distinct(StringComparer.Ordinal).Select(n => $"'{n}'"))})");
        }
        var parent = context.OpenBacking(file.Path, ImageFormat.Vhd, found, null);
        if (parent is VhdDisk vhd && vhd.UniqueId != header.ParentUniqueId)
        {
            parent.Dispose();
            throw Error(file.Path, ImageError.BadBackingChain,
                $"parent '{found}' has unique id {vhd.UniqueId} but this disk expects {header.ParentUniqueId}");
        }
        return (parent, found);
    }

    /// <summary>Decodes one locator into a path relative to the child's directory, or null for unusable kinds.</summary>
    private static string? ReadLocator(FileSource file, VhdParentLocator loc)
    {
        if (loc.DataLength == 0)
        {
            return null;
        }
        if (loc.DataLength > MaxLocatorBytes || loc.DataOffset > (ulong)file.Length || loc.DataLength > file.Length - (long)loc.DataOffset)
        {
            throw Error(file.Path, ImageError.PointerOutOfRange,
                $"parent locator {loc.CodeName} of {loc.DataLength} bytes at 0x{loc.DataOffset:x} lies outside the file ({file.Length} bytes)");
        }
        var buf = new byte[loc.DataLength];
        file.ReadExactlyOrZero((long)loc.DataOffset, buf);
        if (loc.PlatformCode == VhdParentLocator.MacX)
        {
            var url = Encoding.UTF8.GetString(buf).TrimEnd('\0');
            if (!url.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            // file://host/path: drop the scheme and the host (usually "localhost" or empty).
            var rest = url["file://".Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            return slash < 0 ? null : Uri.UnescapeDataString(rest[slash..]);
        }
        var path = Encoding.Unicode.GetString(buf).TrimEnd('\0').Replace('\\', '/');
        return path.StartsWith("./", StringComparison.Ordinal) ? path[2..] : path;
    }

    /// <summary>
    /// Walks the map (validating every lookup), then checks that the footer, its copy, the dynamic
    /// header, the BAT and every allocated block occupy their own bytes of the file. qemu's vpc driver
    /// has no check; these are the structural rules of the VHD specification.
    /// </summary>
    public override CheckReport Check(CancellationToken cancellationToken = default)
    {
        var report = base.Check(cancellationToken);
        if (_header is null)
        {
            return report;
        }
        var regions = new FileRegions();
        var fileLength = File.Length;
        regions.Add(0, VhdFooter.Size, "the footer copy");
        regions.Add((long)_footer.DataOffset, VhdDynamicHeader.Size, "the dynamic header");
        regions.Add((long)_header.TableOffset, ((_header.MaxTableEntries * 4L) + 511) & ~511L, "the BAT");
        var blockBytes = _bitmapBytes + (long)_header.BlockSize;
        for (var i = 0; i < _bat.Length; i++)
        {
            if (_bat[i] != VhdBat.Unallocated)
            {
                regions.Add(_bat[i] * 512L, blockBytes, string.Create(CultureInfo.InvariantCulture, $"block {i}"));
            }
        }
        regions.Add(fileLength - VhdFooter.Size, VhdFooter.Size, "the footer");
        regions.Report(report, fileLength, cancellationToken);
        return report;
    }

    public override ImageDetails Describe()
    {
        var f = _footer;
        var features = new Dictionary<string, string>
        {
            ["creator-app"] = f.CreatorApp.TrimEnd('\0', ' '),
            ["creator-version"] = string.Create(CultureInfo.InvariantCulture, $"{f.CreatorVersion >> 16}.{f.CreatorVersion & 0xffff}"),
            ["creator-host-os"] = HostOsName(f.CreatorHostOs),
            ["geometry"] = string.Create(CultureInfo.InvariantCulture, $"{f.Cylinders}/{f.Heads}/{f.SectorsPerTrack}"),
            ["current-size"] = f.CurrentSize.ToString(CultureInfo.InvariantCulture),
            ["size-from"] = f.UsesCurrentSize ? "current-size" : "chs",
            ["unique-id"] = f.UniqueId.ToString(),
            ["saved-state"] = f.SavedState != 0 ? "yes" : "no",
        };
        if (_header is { } h)
        {
            features["bat-entries"] = h.MaxTableEntries.ToString(CultureInfo.InvariantCulture);
            if (f.DiskType == VhdDiskType.Differencing)
            {
                features["parent-unique-id"] = h.ParentUniqueId.ToString();
                features["parent-name"] = h.ParentName;
            }
        }
        return new ImageDetails
        {
            Format = ImageFormat.Vhd,
            Path = Path,
            VirtualSize = _length,
            AllocatedSize = RawDisk.AllocatedBytes(File),
            ClusterSize = _header is null ? null : (int)_header.BlockSize,
            Subformat = f.DiskType switch
            {
                VhdDiskType.Fixed => "fixed",
                VhdDiskType.Dynamic => "dynamic",
                _ => "differencing",
            },
            Features = features,
            BackingFile = _parentName,
            BackingFormat = Backing?.Format,
        };
    }

    private static string HostOsName(uint code) => code switch
    {
        0x5769326B => "Wi2k",
        0x4D616320 => "Mac",
        _ => string.Create(CultureInfo.InvariantCulture, $"0x{code:x8}"),
    };

    protected internal override BlockRun Lookup(long offset, long maxLength)
    {
        if (_header is null)
        {
            return LookupFixed(offset, maxLength);
        }
        var block = offset >> _blockShift;
        var blockSize = 1L << _blockShift;
        var inBlock = offset & (blockSize - 1);
        var n = Math.Min(blockSize - inBlock, maxLength);
        var entry = _bat[block];
        var absent = _footer.DiskType == VhdDiskType.Differencing ? BlockRun.Unallocated(n) : BlockRun.Zero(n);
        if (entry == VhdBat.Unallocated)
        {
            // qemu reports an unallocated block of a dynamic disk as present zeros; a differencing
            // disk falls through to its parent.
            return absent;
        }
        var bitmap = Bitmap(block, entry);
        var firstSector = (int)(inBlock >> 9);
        var endSector = (int)((inBlock + n + 511) >> 9);
        var present = SectorPresent(bitmap, firstSector);
        var runEnd = RunEnd(bitmap, firstSector, endSector, present);
        var runBytes = Math.Min(((long)runEnd << 9) - inBlock, n);
        if (!present)
        {
            return absent with { Length = runBytes };
        }
        return BlockRun.Data(runBytes, (entry * 512L) + _bitmapBytes + inBlock);
    }

    private BlockRun LookupFixed(long offset, long maxLength)
    {
        var dataAt = File.Seek(offset, data: true);
        if (dataAt is null)
        {
            return BlockRun.Data(maxLength, offset);
        }
        if (dataAt.Value > offset)
        {
            return BlockRun.HoleInFile(Math.Min(maxLength, dataAt.Value - offset), offset);
        }
        var holeAt = File.Seek(offset, data: false) ?? offset + maxLength;
        return BlockRun.Data(Math.Clamp(holeAt - offset, 1, Math.Min(maxLength, _dataEnd - offset)), offset);
    }

    /// <summary>Sector bitmaps are MSB-first: bit 7 of byte 0 is the block's first sector.</summary>
    private static bool SectorPresent(ReadOnlySpan<byte> bitmap, int sector) => (bitmap[sector >> 3] & (0x80 >> (sector & 7))) != 0;

    /// <summary>The first sector in (start, end) whose bit differs from <paramref name="present"/>, or end.</summary>
    internal static int RunEnd(ReadOnlySpan<byte> bitmap, int start, int end, bool present)
    {
        var s = start + 1;
        var same = present ? (byte)0xFF : (byte)0x00;
        while (s < end)
        {
            if ((s & 7) == 0 && s + 8 <= end)
            {
                var whole = bitmap[(s >> 3)..((end + 7) >> 3)];
                var differs = whole.IndexOfAnyExcept(same);
                if (differs < 0)
                {
                    return end;
                }
                s += differs * 8;
                if (s >= end)
                {
                    return end;
                }
            }
            if (SectorPresent(bitmap, s) != present)
            {
                return s;
            }
            s++;
        }
        return Math.Min(s, end);
    }

    private byte[] Bitmap(long block, uint entry)
    {
        var slot = (int)(block % BitmapCacheSlots);
        var cached = Volatile.Read(ref _bitmaps[slot]);
        if (cached is not null && cached.Block == block)
        {
            return cached.Bits;
        }
        var bits = new byte[_bitmapBytes];
        File.ReadExactlyOrZero(entry * 512L, bits);
        Volatile.Write(ref _bitmaps[slot], new BitmapSlot(block, bits));
        return bits;
    }

    /// <summary>One cached sector bitmap; immutable so readers can share it without locks.</summary>
    private sealed record BitmapSlot(long Block, byte[] Bits);
}
