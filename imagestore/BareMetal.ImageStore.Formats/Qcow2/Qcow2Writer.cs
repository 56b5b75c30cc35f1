using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>
/// Creates qcow2 v3 images (16-bit refcounts, zlib compression type, standard L2 entries) and opens
/// them writable. Layout: header (+ extensions + backing file name) in cluster 0, the refcount table,
/// the L1 table, then refcount blocks, L2 tables and data appended as they are needed.
/// </summary>
public static class Qcow2Writer
{
    /// <summary>
    /// Ends the temporary name an image is built under before it is renamed into place; a file with
    /// it is the leftover of a process killed while creating, never a usable image.
    /// </summary>
    public const string CreatingSuffix = ".creating";

    /// <summary>refcount_order 4: 16-bit refcounts, qemu's default.</summary>
    private const int RefcountOrder = 4;

    /// <summary>
    /// Creates an empty qcow2 v3 image of <paramref name="virtualSize"/> bytes (rounded up to 512, as
    /// qemu counts sectors) and opens it writable. With a backing file, unwritten clusters read from
    /// it (a copy-on-write overlay); its name is stored as given (relative names resolve against the
    /// new image's directory).
    /// </summary>
    public static VirtualDisk Create(string path, long virtualSize, int clusterSize = 65536, string? backingFile = null, ImageFormat? backingFormat = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (clusterSize < 1 << Qcow2Header.MinClusterBits || clusterSize > 1 << Qcow2Header.MaxClusterBits || (clusterSize & (clusterSize - 1)) != 0)
        {
            throw Qcow2Error.Make(full, ImageError.SizeOutOfRange, $"cluster size {clusterSize} is not a power of two between 512 B and 2 MiB");
        }
        if (virtualSize < 0 || virtualSize > ImageLimits.MaxVirtualSize)
        {
            throw Qcow2Error.Make(full, ImageError.SizeOutOfRange, $"virtual size {virtualSize} is outside 0..{ImageLimits.MaxVirtualSize}");
        }
        var size = (virtualSize + 511) & ~511L;
        var cb = System.Numerics.BitOperations.Log2((uint)clusterSize);
        var l2Bits = cb - 3;
        var l1Entries = Qcow2Header.RequiredL1Entries(size, cb, l2Bits);
        if (l1Entries * 8 > ImageLimits.MaxTableBytes)
        {
            throw Qcow2Error.Make(full, ImageError.SizeOutOfRange,
                $"a {size}-byte disk with {clusterSize}-byte clusters needs an L1 table of {l1Entries * 8} bytes, above {ImageLimits.MaxTableBytes}");
        }
        var backingBytes = backingFile is null ? [] : Encoding.UTF8.GetBytes(backingFile);
        if (backingBytes.Length > Qcow2Header.MaxBackingNameBytes)
        {
            throw Qcow2Error.Make(full, ImageError.BadHeader, $"backing file name is {backingBytes.Length} bytes, above {Qcow2Header.MaxBackingNameBytes}");
        }
        var formatBytes = backingFile is not null && backingFormat is { } bf ? Encoding.ASCII.GetBytes(Qcow2Extensions.NameOf(bf)) : [];

        // Header cluster: header, backing format extension, end marker, backing file name.
        var cluster0 = new byte[clusterSize];
        var pos = Qcow2Header.V3WrittenLength;
        if (formatBytes.Length > 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(cluster0.AsSpan(pos), Qcow2Extensions.TypeBackingFormat);
            BinaryPrimitives.WriteUInt32BigEndian(cluster0.AsSpan(pos + 4), (uint)formatBytes.Length);
            formatBytes.CopyTo(cluster0, pos + 8);
            pos += 8 + ((formatBytes.Length + 7) & ~7);
        }
        pos += 8; // end-of-extensions marker (zeros)
        if (pos + backingBytes.Length > clusterSize)
        {
            throw Qcow2Error.Make(full, ImageError.BadHeader, $"backing file name does not fit in the first cluster ({clusterSize} bytes)");
        }
        backingBytes.CopyTo(cluster0, pos);

        // The refcount table is sized for the largest file this disk can grow to without freeing
        // (every data cluster, every L2 table, the refcount blocks themselves), so it never moves.
        var cs = (long)clusterSize;
        var perBlock = cs * 8 >> RefcountOrder;
        var l1Clusters = (l1Entries * 8 + cs - 1) / cs;
        var dataClusters = (size + cs - 1) / cs;
        long rtClusters = 1;
        for (var i = 0; i < 4; i++)
        {
            var total = 1 + rtClusters + l1Clusters + dataClusters + l1Entries;
            var blocks = (total + perBlock - 1) / perBlock;
            total += blocks;
            blocks = (total + perBlock - 1) / perBlock;
            rtClusters = Math.Max(1, (blocks * 8 + cs - 1) / cs);
        }
        if (rtClusters * cs > ImageLimits.MaxTableBytes)
        {
            rtClusters = ImageLimits.MaxTableBytes / cs;
        }
        var rtOffset = cs;
        var l1Offset = rtOffset + (rtClusters * cs);
        var end = l1Offset + (l1Clusters * cs);
        var header = new Qcow2Header
        {
            Version = 3,
            BackingFileOffset = backingBytes.Length > 0 ? pos : 0,
            BackingFileSize = backingBytes.Length,
            ClusterBits = cb,
            Size = size,
            L1Size = (uint)l1Entries,
            L1TableOffset = l1Offset,
            RefcountTableOffset = rtOffset,
            RefcountTableClusters = (uint)rtClusters,
            RefcountOrder = RefcountOrder,
            HeaderLength = Qcow2Header.V3WrittenLength,
        };
        header.WriteV3(cluster0);

        // Laid out under a temporary name and renamed into place once complete and durable, so a
        // process killed half-way never leaves a half-made image under the real name (an empty file
        // there is probed as a 0-byte raw disk; one without its refcounts is corrupt for qemu-img).
        var creating = $"{full}.{Guid.NewGuid():N}{CreatingSuffix}";
        try
        {
            using (var file = FileSource.Create(creating))
            {
                file.Write(0, cluster0);
                // Table space reads as zeros from a sparse extension: no table bytes need writing.
                file.SetLength(end);
                var refcounts = Qcow2Refcounts.CreateEmpty(file, cb, RefcountOrder, rtOffset, (int)rtClusters, end);
                for (long c = 0; c < end / cs; c++)
                {
                    refcounts.Adjust(c, +1);
                }
                file.Flush();
            }
            File.Move(creating, full, overwrite: true);
        }
        catch
        {
            File.Delete(creating);
            throw;
        }
        var context = new OpenContext(new OpenOptions { Writable = true }, [full]);
        FileSource reopened;
        try
        {
            reopened = FileSource.Open(full, writable: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Qcow2Error.Make(full, ImageError.BadHeader, $"cannot reopen the new image: {e.Message}");
        }
        try
        {
            return Qcow2Disk.Open(reopened, context);
        }
        catch
        {
            // A backing file that cannot be opened leaves no half-made image behind.
            reopened.Dispose();
            File.Delete(full);
            throw;
        }
    }
}
