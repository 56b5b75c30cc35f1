namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>A read-only, seekable stream over a file's blocks; holes and uninitialized extents read as zeros.</summary>
internal sealed class ExtFileStream(ExtFileSystem fs, IExtBlockMap map, long length) : ReadOnlyFileStream(length)
{
    protected override int ReadRun(long position, Span<byte> buffer)
    {
        var bs = fs.Superblock.BlockSize;
        var within = position % bs;
        var (physical, count) = map.Map(position / bs);
        var runBytes = count > (long.MaxValue / bs) - 1 ? long.MaxValue / 2 : (count * bs) - within;
        var n = (int)Math.Min(buffer.Length, runBytes);
        if (physical == 0)
        {
            buffer[..n].Clear();
        }
        else
        {
            fs.ReadAt(((long)physical * bs) + within, buffer[..n], "file data");
        }
        return n;
    }
}
