namespace BareMetal.ImageStore.Formats;

/// <summary>
/// A disk image seen as a flat virtual disk: a length, random-access reads into the caller's buffer,
/// an allocation map, and (for writable formats) writes. Every reader implements only
/// <see cref="Lookup"/> (and <see cref="ReadEncoded"/> if it stores encoded data); reads through the
/// backing chain and maps are shared here so every format behaves alike.
/// Thread-safety: any number of concurrent readers. Writers serialise themselves.
/// </summary>
public abstract class VirtualDisk : IDisposable
{
    private bool _disposed;

    protected VirtualDisk(FileSource file, VirtualDisk? backing)
    {
        File = file;
        Backing = backing;
    }

    public abstract ImageFormat Format { get; }

    /// <summary>Guest-visible size in bytes.</summary>
    public abstract long Length { get; }

    /// <summary>The image's own (primary) file.</summary>
    public FileSource File { get; }

    public string Path => File.Path;

    /// <summary>The next image in the backing chain, opened read-only; null at the bottom.</summary>
    public VirtualDisk? Backing { get; }

    public virtual bool CanWrite => false;

    /// <summary>Every file this disk reads, its backing chain's included (a tool must never overwrite one).</summary>
    public IEnumerable<FileSource> Files
    {
        get
        {
            for (var layer = this; layer is not null; layer = layer.Backing)
            {
                foreach (var f in layer.LayerFiles)
                {
                    yield return f;
                }
            }
        }
    }

    /// <summary>The files of this layer alone: its own, plus any extents a format keeps apart (VMDK).</summary>
    protected virtual IEnumerable<FileSource> LayerFiles => [File];

    /// <summary>Describes this layer only (not its backing).</summary>
    public abstract ImageDetails Describe();

    /// <summary>
    /// The state of the guest bytes starting at <paramref name="offset"/> in this layer only.
    /// 0 &lt;= offset &lt; Length and 1 &lt;= maxLength &lt;= Length - offset are guaranteed by the caller;
    /// the returned run may be shorter than maxLength but never longer, and never empty.
    /// Must be thread-safe. Throws <see cref="ImageFormatException"/> on corrupt metadata.
    /// </summary>
    protected internal abstract BlockRun Lookup(long offset, long maxLength);

    /// <summary>
    /// A format whose guest bytes are file bytes (raw) reads them in one pread here and skips the
    /// lookups: on tmpfs every SEEK_DATA/SEEK_HOLE walks the whole file (20 ms on 256 MiB).
    /// </summary>
    protected internal virtual bool TryReadDirect(long offset, Span<byte> dest) => false;

    /// <summary>Decodes an <see cref="BlockState.Encoded"/> run into dest (dest.Length &lt;= run length).</summary>
    protected internal virtual void ReadEncoded(long offset, in BlockRun run, Span<byte> dest) =>
        throw new NotSupportedException($"{Format} has no encoded runs");

    /// <summary>Reads dest.Length bytes at offset. Throws ArgumentOutOfRangeException past the end.</summary>
    public void Read(long offset, Span<byte> dest)
    {
        CheckRange(offset, dest.Length);
        if (TryReadDirect(offset, dest))
        {
            return;
        }
        var done = 0;
        while (done < dest.Length)
        {
            var pos = offset + done;
            var want = dest.Length - done;
            var run = Lookup(pos, want);
            var n = (int)Math.Min(run.Length, want);
            if (n <= 0)
            {
                throw new InvalidOperationException($"{Format} lookup at {pos} returned an empty run");
            }
            var slice = dest.Slice(done, n);
            switch (run.State)
            {
                case BlockState.Data:
                    (run.Source ?? File).ReadExactlyOrZero(run.HostOffset, slice);
                    break;
                case BlockState.Zero:
                    slice.Clear();
                    break;
                case BlockState.Encoded:
                    ReadEncoded(pos, run, slice);
                    break;
                default:
                    ReadBacking(pos, slice);
                    break;
            }
            done += n;
        }
    }

    /// <summary>
    /// Reads dest.Length bytes at offset. Completes synchronously: the bytes come from local files and
    /// pread is cheaper than a thread-pool hop (.NET on Linux has no truly asynchronous file reads).
    /// </summary>
    public ValueTask ReadAsync(long offset, Memory<byte> dest, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        try
        {
            Read(offset, dest.Span);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    private void ReadBacking(long pos, Span<byte> slice)
    {
        var backing = Backing;
        if (backing is null)
        {
            slice.Clear();
            return;
        }
        // A backing image may be shorter than its overlay: beyond its end reads as zeros.
        var fromBacking = (int)Math.Clamp(backing.Length - pos, 0, slice.Length);
        if (fromBacking > 0)
        {
            backing.Read(pos, slice[..fromBacking]);
        }
        slice[fromBacking..].Clear();
    }

    /// <summary>
    /// The allocation map of [offset, offset+length) through the whole backing chain, merged like
    /// `qemu-img map --output=json`.
    /// </summary>
    public IEnumerable<DiskExtent> Map(long offset = 0, long? length = null)
    {
        var len = length ?? Length - offset;
        CheckRange(offset, len);
        DiskExtent? pending = null;
        foreach (var e in MapLayer(offset, len, 0))
        {
            if (pending is { } p && p.CanMerge(e))
            {
                pending = p with { Length = p.Length + e.Length };
                continue;
            }
            if (pending is { } done)
            {
                yield return done;
            }
            pending = e;
        }
        if (pending is { } last)
        {
            yield return last;
        }
    }

    private IEnumerable<DiskExtent> MapLayer(long offset, long length, int depth)
    {
        var pos = offset;
        var end = offset + length;
        while (pos < end)
        {
            var run = Lookup(pos, end - pos);
            var n = Math.Min(run.Length, end - pos);
            switch (run.State)
            {
                case BlockState.Data:
                    yield return new DiskExtent(pos, n, depth, true, false, true, run.HostOffset);
                    break;
                case BlockState.Zero:
                    yield return new DiskExtent(pos, n, depth, true, true, run.FileHole, run.HostOffset >= 0 ? run.HostOffset : null);
                    break;
                case BlockState.Encoded:
                    yield return new DiskExtent(pos, n, depth, true, false, true, null, Compressed: true);
                    break;
                default:
                    if (Backing is null)
                    {
                        yield return new DiskExtent(pos, n, depth, false, true, false, null);
                        break;
                    }
                    var inBacking = Math.Clamp(Backing.Length - pos, 0, n);
                    if (inBacking > 0)
                    {
                        foreach (var e in Backing.MapLayer(pos, inBacking, depth + 1))
                        {
                            yield return e;
                        }
                    }
                    if (inBacking < n)
                    {
                        // Past the backing file's end nothing below answers: qemu reports this layer's depth.
                        yield return new DiskExtent(pos + inBacking, n - inBacking, depth, false, true, false, null);
                    }
                    break;
            }
            pos += n;
        }
    }

    /// <summary>
    /// Structural checks like `qemu-img check`: every problem found in this layer's metadata
    /// (pointers out of the file, overlapping clusters, refcount mismatches ...). The default walks the
    /// whole map, which makes every table lookup validate its pointers; formats add deeper checks.
    /// </summary>
    public virtual CheckReport Check(CancellationToken cancellationToken = default)
    {
        var report = new CheckReport(Path, Format);
        try
        {
            long pos = 0;
            while (pos < Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var run = Lookup(pos, Length - pos);
                pos += run.Length;
            }
        }
        catch (ImageFormatException e)
        {
            report.Add(CheckSeverity.Corruption, e.Problem);
        }
        return report;
    }

    /// <summary>Writes data at offset (allocating in this layer). Read-only formats throw.</summary>
    public virtual void Write(long offset, ReadOnlySpan<byte> data) => throw ReadOnlyError();

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        try
        {
            Write(offset, data.Span);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>Makes [offset, offset+length) read as zeros. Default: writes zero buffers.</summary>
    public virtual void WriteZeroes(long offset, long length)
    {
        CheckRange(offset, length);
        Span<byte> zeros = stackalloc byte[4096];
        zeros.Clear();
        var pos = offset;
        while (pos < offset + length)
        {
            var n = (int)Math.Min(zeros.Length, offset + length - pos);
            Write(pos, zeros[..n]);
            pos += n;
        }
    }

    /// <summary>
    /// Zeroes [offset, offset+length) only if that writes no data (NBD FAST_ZERO): true when done,
    /// false (nothing changed) when it would cost as much as writing. Default: never fast.
    /// </summary>
    public virtual bool TryWriteZeroesFast(long offset, long length)
    {
        CheckRange(offset, length);
        return false;
    }

    /// <summary>Makes earlier acknowledged writes durable.</summary>
    public virtual void Flush()
    {
    }

    protected ImageFormatException ReadOnlyError() =>
        new(Path, Format, ImageError.ReadOnly, "image is open read-only");

    protected void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside the disk (size {Length})");
        }
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (disposing)
        {
            Backing?.Dispose();
            File.Dispose();
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
