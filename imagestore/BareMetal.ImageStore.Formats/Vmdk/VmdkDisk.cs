using System.Globalization;

namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>
/// A VMDK read as one virtual disk: a monolithic sparse file (monolithicSparse, streamOptimized) or a
/// text descriptor naming FLAT / SPARSE / ZERO / VMFS extents (monolithicFlat, twoGbMaxExtent*, vmfs).
/// Delta disks follow parentFileNameHint. Read-only.
/// </summary>
public sealed class VmdkDisk : VirtualDisk
{
    private readonly VmdkExtent[] _extents;
    private readonly long[] _starts;
    private readonly VmdkDescriptor _descriptor;
    private readonly List<FileSource> _ownedFiles;

    private VmdkDisk(FileSource file, VirtualDisk? backing, VmdkDescriptor descriptor, VmdkExtent[] extents, List<FileSource> ownedFiles)
        : base(file, backing)
    {
        _descriptor = descriptor;
        _extents = extents;
        _starts = [.. extents.Select(e => e.Start)];
        _ownedFiles = ownedFiles;
        Length = extents.Length == 0 ? 0 : extents[^1].End;
    }

    public override ImageFormat Format => ImageFormat.Vmdk;

    public override long Length { get; }

    /// <summary>The descriptor (embedded or separate) this disk was opened from.</summary>
    public VmdkDescriptor Descriptor => _descriptor;

    public static VirtualDisk Open(FileSource file, OpenContext context)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Writable)
        {
            throw new ImageFormatException(file.Path, ImageFormat.Vmdk, ImageError.ReadOnly, "VMDK images are read-only here; convert to qcow2 to write");
        }
        Span<byte> magic = stackalloc byte[4];
        var got = file.ReadAtMost(0, magic);
        var owned = new List<FileSource>();
        VirtualDisk? backing = null;
        try
        {
            VmdkDescriptor descriptor;
            VmdkExtent[] extents;
            if (got == 4 && magic.SequenceEqual("KDMV"u8))
            {
                (descriptor, extents) = OpenMonolithic(file);
            }
            else
            {
                (descriptor, extents) = OpenDescriptor(file, owned);
            }
            if (descriptor.HasParent)
            {
                backing = context.OpenBacking(file.Path, ImageFormat.Vmdk, descriptor.ParentFileNameHint!, null);
            }
            return new VmdkDisk(file, backing, descriptor, extents, owned);
        }
        catch
        {
            backing?.Dispose();
            foreach (var f in owned)
            {
                f.Dispose();
            }
            throw;
        }
    }

    /// <summary>A sparse file on its own: the header describes the single extent; the embedded descriptor only adds metadata.</summary>
    private static (VmdkDescriptor, VmdkExtent[]) OpenMonolithic(FileSource file)
    {
        var gd = VmdkGrainDirectory.Open(file);
        var header = gd.Header;
        var descriptor = new VmdkDescriptor();
        if (header.DescriptorSize > 0)
        {
            var text = new byte[(int)header.DescriptorSize * VmdkSparseHeader.SectorSize];
            file.ReadExactlyOrZero((long)header.DescriptorOffset * VmdkSparseHeader.SectorSize, text);
            descriptor = VmdkDescriptor.Parse(text, file.Path);
        }
        if (descriptor.CreateType is null)
        {
            descriptor = descriptor with { CreateType = header.Compressed ? "streamOptimized" : "monolithicSparse" };
        }
        var line = new VmdkExtentLine(VmdkAccess.ReadWrite, (long)header.Capacity, VmdkExtentType.Sparse, System.IO.Path.GetFileName(file.Path), 0);
        return (descriptor, header.Capacity == 0 ? [] : [new VmdkExtent(line, 0, file, gd)]);
    }

    private static (VmdkDescriptor, VmdkExtent[]) OpenDescriptor(FileSource file, List<FileSource> owned)
    {
        if (file.Length > ImageLimits.MaxDescriptorBytes)
        {
            throw new ImageFormatException(file.Path, ImageFormat.Vmdk, ImageError.SizeOutOfRange,
                $"descriptor file of {file.Length} bytes exceeds {ImageLimits.MaxDescriptorBytes}");
        }
        var text = new byte[(int)file.Length];
        file.ReadExactlyOrZero(0, text);
        var descriptor = VmdkDescriptor.Parse(text, file.Path);
        if (descriptor.Extents.Count == 0)
        {
            throw new ImageFormatException(file.Path, ImageFormat.Vmdk, ImageError.BadHeader, "descriptor lists no extents");
        }
        var dir = System.IO.Path.GetDirectoryName(file.Path) ?? ".";
        var byPath = new Dictionary<string, FileSource>(StringComparer.Ordinal) { [file.Path] = file };
        var byFile = new Dictionary<FileSource, VmdkGrainDirectory>();
        var extents = new VmdkExtent[descriptor.Extents.Count];
        long start = 0;
        for (var i = 0; i < extents.Length; i++)
        {
            var line = descriptor.Extents[i];
            FileSource? source = null;
            VmdkGrainDirectory? sparse = null;
            if (line.Type != VmdkExtentType.Zero)
            {
                var full = ResolveExtent(file.Path, dir, line.FileName!);
                if (!byPath.TryGetValue(full, out source))
                {
                    source = OpenExtentFile(file.Path, line.FileName!, full);
                    owned.Add(source);
                    byPath[full] = source;
                }
                var bytes = checked(line.Sectors * VmdkSparseHeader.SectorSize);
                if (line.Type == VmdkExtentType.Sparse)
                {
                    if (!byFile.TryGetValue(source, out sparse))
                    {
                        sparse = VmdkGrainDirectory.Open(source);
                        byFile[source] = sparse;
                    }
                    if ((ulong)line.Sectors > sparse.Header.Capacity)
                    {
                        throw new ImageFormatException(file.Path, ImageFormat.Vmdk, ImageError.SizeOutOfRange,
                            $"extent {i} '{line.FileName}' claims {line.Sectors} sectors but its header holds {sparse.Header.Capacity}");
                    }
                }
                else if (checked((line.Offset * VmdkSparseHeader.SectorSize) + bytes) > source.Length)
                {
                    throw new ImageFormatException(file.Path, ImageFormat.Vmdk, ImageError.PointerOutOfRange,
                        $"flat extent {i} '{line.FileName}' needs {bytes} bytes from sector {line.Offset} but the file has {source.Length}");
                }
            }
            extents[i] = new VmdkExtent(line, start, source, sparse);
            start = checked(start + extents[i].Length);
        }
        return (descriptor, extents);
    }

    /// <summary>
    /// Extent names resolve against the descriptor's directory (subdirectories allowed, as qemu does).
    /// Absolute names, names climbing out of that directory, URLs and NULs are refused: a descriptor
    /// must not make us read arbitrary host files.
    /// </summary>
    private static string ResolveExtent(string descriptorPath, string dir, string name)
    {
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ImageFormatException(descriptorPath, ImageFormat.Vmdk, ImageError.BadHeader, "extent file name contains a NUL byte");
        }
        if (name.Contains("://", StringComparison.Ordinal) || name.StartsWith("json:", StringComparison.Ordinal))
        {
            throw new ImageFormatException(descriptorPath, ImageFormat.Vmdk, ImageError.Unsupported,
                $"extent '{VmdkDescriptor.Escape(name)}' is not a local file");
        }
        if (System.IO.Path.IsPathRooted(name))
        {
            throw new ImageFormatException(descriptorPath, ImageFormat.Vmdk, ImageError.PointerOutOfRange,
                $"extent '{VmdkDescriptor.Escape(name)}' is an absolute path; only names relative to the descriptor are followed");
        }
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, name));
        var root = System.IO.Path.EndsInDirectorySeparator(dir) ? dir : dir + System.IO.Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            throw new ImageFormatException(descriptorPath, ImageFormat.Vmdk, ImageError.PointerOutOfRange,
                $"extent '{VmdkDescriptor.Escape(name)}' lies outside the descriptor's directory");
        }
        return full;
    }

    private static FileSource OpenExtentFile(string descriptorPath, string name, string full)
    {
        if (!System.IO.File.Exists(full))
        {
            throw new ImageFormatException(descriptorPath, ImageFormat.Vmdk, ImageError.BadBackingChain,
                $"extent file '{VmdkDescriptor.Escape(name)}' not found ({full})");
        }
        try
        {
            return FileSource.Open(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageFormatException(descriptorPath, ImageFormat.Vmdk, ImageError.BadBackingChain,
                $"extent file '{VmdkDescriptor.Escape(name)}' cannot be opened: {e.Message}", e);
        }
    }

    private VmdkExtent ExtentAt(long offset)
    {
        var i = Array.BinarySearch(_starts, offset);
        return _extents[i >= 0 ? i : ~i - 1];
    }

    protected internal override BlockRun Lookup(long offset, long maxLength)
    {
        var extent = ExtentAt(offset);
        var rel = offset - extent.Start;
        var run = extent.Lookup(rel, Math.Min(maxLength, extent.End - offset));
        return run;
    }

    protected internal override void ReadEncoded(long offset, in BlockRun run, Span<byte> dest)
    {
        var extent = ExtentAt(offset);
        var gd = extent.Sparse ?? throw new InvalidOperationException("encoded run outside a sparse extent");
        var grainStart = run.Tag;
        var grain = gd.ReadCompressedGrain(run.HostOffset, grainStart);
        var inGrain = (int)(offset - extent.Start - grainStart);
        grain.AsSpan(inGrain, dest.Length).CopyTo(dest);
    }

    /// <summary>Checks every sparse extent's tables in full; flat and zero extents have no metadata to check.</summary>
    public override CheckReport Check(CancellationToken cancellationToken = default)
    {
        var report = new CheckReport(Path, Format);
        foreach (var gd in _extents.Select(e => e.Sparse).OfType<VmdkGrainDirectory>().Distinct())
        {
            gd.Check(report, cancellationToken);
        }
        return report;
    }

    public override ImageDetails Describe()
    {
        var features = new Dictionary<string, string>
        {
            ["create-type"] = _descriptor.CreateType ?? "",
            ["extents"] = _extents.Length.ToString(CultureInfo.InvariantCulture),
        };
        var firstSparse = _extents.Select(e => e.Sparse).FirstOrDefault(s => s is not null);
        if (firstSparse is not null)
        {
            features["version"] = firstSparse.Header.Version.ToString(CultureInfo.InvariantCulture);
            features["compressed"] = firstSparse.Header.Compressed ? "true" : "false";
            features["zeroed-grain"] = firstSparse.Header.HasZeroedGrains ? "true" : "false";
        }
        if (_descriptor.Cid is { } cid)
        {
            features["cid"] = cid.ToString("x8", CultureInfo.InvariantCulture);
        }
        if (_descriptor.ParentCid is { } pcid)
        {
            features["parent-cid"] = pcid.ToString("x8", CultureInfo.InvariantCulture);
        }
        for (var i = 0; i < Math.Min(_extents.Length, 64); i++)
        {
            features[$"extent-{i}"] = _extents[i].Line.ToString();
        }
        long allocated = RawDisk(File);
        foreach (var f in _ownedFiles)
        {
            allocated += RawDisk(f);
        }
        return new ImageDetails
        {
            Format = ImageFormat.Vmdk,
            Path = Path,
            VirtualSize = Length,
            AllocatedSize = allocated,
            ClusterSize = firstSparse is null ? null : (int)firstSparse.GrainBytes,
            Subformat = _descriptor.CreateType,
            Features = features,
            BackingFile = _descriptor.HasParent ? _descriptor.ParentFileNameHint : null,
        };

        static long RawDisk(FileSource f) => Raw.RawDisk.AllocatedBytes(f);
    }

    protected override IEnumerable<FileSource> LayerFiles => [File, .. _ownedFiles];

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var f in _ownedFiles)
            {
                f.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
