namespace BareMetal.ImageStore.Nbd.Counters;

/// <summary>Traffic of one export or one client of an export. Thread-safe, lock-free.</summary>
public sealed class BlockCounters
{
    private readonly RegionBitmap _touched;
    private readonly RegionBitmap _read;
    private long _bytesRead;
    private long _bytesWritten;
    private long _requests;

    public BlockCounters(long diskLength)
    {
        _touched = new RegionBitmap(diskLength);
        _read = new RegionBitmap(diskLength);
    }

    public void Request() => Interlocked.Increment(ref _requests);

    public void Read(long offset, long length)
    {
        Interlocked.Add(ref _bytesRead, length);
        _touched.Mark(offset, length);
        _read.Mark(offset, length);
    }

    public void Written(long offset, long length)
    {
        Interlocked.Add(ref _bytesWritten, length);
        _touched.Mark(offset, length);
    }

    public CounterSnapshot Snapshot() => new(
        Interlocked.Read(ref _bytesRead),
        Interlocked.Read(ref _bytesWritten),
        Interlocked.Read(ref _requests),
        _touched.SetCount,
        _touched.RegionSize,
        _touched.RegionCount,
        _read.Ranges());
}
