namespace BareMetal.ImageStore.Formats.FileSystems.Fat;

/// <summary>A read-only, seekable stream over a file's cluster runs (checked when the file was opened).</summary>
internal sealed class FatFileStream(FatFileSystem fs, List<(uint First, uint Count)> runs, long length) : ReadOnlyFileStream(length)
{
    protected override int ReadRun(long position, Span<byte> buffer)
    {
        var cb = fs.Boot.ClusterBytes;
        var skip = position;
        var run = (First: 0u, Count: 0u);
        foreach (var r in runs)
        {
            var bytes = r.Count * cb;
            if (skip < bytes)
            {
                run = r;
                break;
            }
            skip -= bytes;
        }
        var n = (int)Math.Min(buffer.Length, (run.Count * cb) - skip);
        fs.ReadCluster((uint)(run.First + (skip / cb)), skip % cb, buffer[..n], "file data");
        return n;
    }
}
