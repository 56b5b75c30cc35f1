using BareMetal.MediatorModel.Simulation.Ahci;

namespace BareMetal.MediatorModel.Simulation.Mediation;

/// <summary>The device-independent half of streaming deployment: which 4 KiB blocks are local
/// (copied, or written by the guest, which the copy must then never overwrite), which are in the
/// VMM's prefetch cache, and the copy's progress through the image in chunks.</summary>
internal sealed class StreamingState
{
    public StreamingState(long imageBytes, int chunkBytes)
    {
        Blocks = imageBytes / GuestMemory.PageBytes;
        ChunkBlocks = chunkBytes / GuestMemory.PageBytes;
        Chunks = (Blocks + ChunkBlocks - 1) / ChunkBlocks;
        Copied = new BlockBitmap(Blocks);
        GuestWritten = new BlockBitmap(Blocks);
        Cached = new BlockBitmap(Blocks);
    }

    public long Blocks { get; }

    public long ChunkBlocks { get; }

    public long Chunks { get; }

    public BlockBitmap Copied { get; }

    public BlockBitmap GuestWritten { get; }

    /// <summary>Blocks held in the VMM's memory by the boot-working-set prefetch (image content).</summary>
    public BlockBitmap Cached { get; }

    public bool IsLocal(long block) => Copied.Get(block) || GuestWritten.Get(block);

    public bool AllLocal(long first, long count)
    {
        for (var b = first; b < first + count; b++)
        {
            if (!IsLocal(b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every block of the range is local or in the prefetch cache.</summary>
    public bool AllLocalOrCached(long first, long count)
    {
        for (var b = first; b < first + count; b++)
        {
            if (!IsLocal(b) && !Cached.Get(b))
            {
                return false;
            }
        }

        return true;
    }

    public (long First, long Count) ChunkRange(long chunk)
    {
        var first = chunk * ChunkBlocks;
        return (first, Math.Min(ChunkBlocks, Blocks - first));
    }
}
