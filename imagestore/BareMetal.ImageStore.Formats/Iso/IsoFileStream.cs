namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>A read-only, seekable stream over one file's extents (joined in order).</summary>
internal sealed class IsoFileStream(VirtualDisk disk, IsoEntry entry, int blockSize) : ReadOnlyFileStream(entry.Size)
{
    protected override int ReadRun(long position, Span<byte> buffer)
    {
        // Find the extent holding the position (files have few extents).
        var skip = position;
        IsoExtent extent = default;
        foreach (var e in entry.Extents)
        {
            if (skip < e.Length)
            {
                extent = e;
                break;
            }
            skip -= e.Length;
        }
        var n = (int)Math.Min(buffer.Length, extent.Length - skip);
        disk.Read(((long)extent.Lba * blockSize) + skip, buffer[..n]);
        return n;
    }
}
