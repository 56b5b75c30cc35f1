using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;

namespace BareMetal.ImageStore.Cli;

/// <summary>`baremetal image convert SRC DST -O raw|qcow2`.</summary>
internal static class ImageConvert
{
    /// <summary>Unit of work per copy task: big enough to amortise lookups, small enough to spread over cores.</summary>
    private const int ChunkBytes = 2 << 20;

    /// <summary>Chunks read ahead of the writer (16 MiB): enough to keep the readers busy while it writes.</summary>
    private const int ChunksInFlight = 8;


    /// <summary>The granularity of zero detection.</summary>
    private const int ZeroBlock = 4096;

    public static Command Create()
    {
        var src = new Argument<FileInfo>("SRC") { Description = "Source image (any format we read)." };
        var dst = new Argument<FileInfo>("DST") { Description = "Destination file (created, or replaced: an existing file is freed first, as qemu-img does)." };
        var fmt = new Option<string>("-O", "--output-format") { Description = "Output format: raw or qcow2.", DefaultValueFactory = _ => "raw" };
        fmt.AcceptOnlyFromAmong("raw", "qcow2");
        var progress = new Option<bool?>("-p", "--progress") { Description = "Show progress (default: on when stderr is a terminal)." };
        var cmd = new Command("convert", "Convert an image to raw or qcow2 v3, skipping holes and zeros.") { src, dst, fmt, progress };
        cmd.SetAction((parse, ct) =>
        {
            var source = parse.GetValue(src)!;
            var target = parse.GetValue(dst)!;
            var showProgress = parse.GetValue(progress) ?? !Console.IsErrorRedirected;
            using var disk = ImageCommands.OpenExisting(source);
            var destination = Path.GetFullPath(target.FullName);
            CheckDestination(disk, destination);
            Convert(disk, destination, parse.GetValue(fmt) == "qcow2" ? ImageFormat.Qcow2 : ImageFormat.Raw,
                showProgress ? new ConsoleProgress() : null, ct);
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary>
    /// Refuses a destination that is a directory, a device or FIFO, or any file the source reads (the
    /// image itself, a backing file, a VMDK extent, under any name: compared by device and inode), since
    /// convert replaces the destination.
    /// </summary>
    internal static void CheckDestination(VirtualDisk source, string destination)
    {
        if (Directory.Exists(destination))
        {
            throw new CliException($"{destination}: is a directory");
        }
        if (!File.Exists(destination))
        {
            return;
        }
        if (UnixFileType.IsRegularFile(destination) == false)
        {
            throw new CliException($"{destination}: not a regular file (a device, FIFO or dangling link?); convert writes image files only");
        }
        var id = UnixFileType.Identity(destination);
        foreach (var f in source.Files)
        {
            if (f.Path == destination || (id is not null && UnixFileType.Identity(f.Path) == id))
            {
                var what = f.Path == source.Path ? "the source image" : $"a file the source reads ({f.Path})";
                throw new CliException($"{destination}: destination is {what}; convert to another name");
            }
        }
    }

    /// <summary>
    /// Copies every non-zero byte of <paramref name="source"/> into a new image at <paramref name="destination"/>,
    /// replacing what is there (see <see cref="CheckDestination"/>).
    /// </summary>
    public static void Convert(VirtualDisk source, string destination, ImageFormat format, IProgress<double>? progress, CancellationToken ct)
    {
        // Planning walks every table of the chain, so corrupt metadata fails here, before anything is touched.
        var jobs = Plan(source);
        // An existing destination is freed first, as qemu-img does: replacing a file then needs no more room
        // than the new image (and on tmpfs the copy reuses the freed pages). The copy goes to a temporary name
        // renamed at the end, so a failed or cancelled convert never leaves a half-written file under the
        // name the user asked for.
        File.Delete(destination);
        var temp = destination + ".part";
        VirtualDisk? target = null;
        FileSource? rawTarget = null;
        try
        {
            if (format == ImageFormat.Qcow2)
            {
                target = Qcow2Writer.Create(temp, source.Length);
            }
            else
            {
                rawTarget = FileSource.Create(temp);
                rawTarget.SetLength(source.Length);
            }
            long total = jobs.Sum(j => j.Length);
            long done = 0;
            Action<long, ReadOnlySpan<byte>> write = rawTarget is not null ? rawTarget.Write : target!.Write;
            // A reader per core: decoding (zlib clusters, streamOptimized grains) is the slow part of compressed
            // images, and even plain bytes (a VHDX's zero-filled blocks included) can be more to read than to write.
            var readers = Math.Clamp(Environment.ProcessorCount, 2, ChunksInFlight);
            CopyInOrder(source, jobs, readers, write, n => progress?.Report((double)(done += n) / Math.Max(1, total)), ct);
            target?.Flush();
            rawTarget?.Flush();
            target?.Dispose();
            rawTarget?.Dispose();
            target = null;
            rawTarget = null;
            File.Move(temp, destination, overwrite: true);
            progress?.Report(1.0);
        }
        catch
        {
            target?.Dispose();
            rawTarget?.Dispose();
            File.Delete(temp);
            throw;
        }
        finally
        {
            (progress as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// Reads chunks on <paramref name="readers"/> threads of its own, at most <see cref="ChunksInFlight"/> ahead,
    /// and writes them from the calling thread in disk order, as qemu-img does without -W. Parallel writers
    /// gain nothing: a tmpfs or ext4 write holds the inode lock, so a second writer only spins on it
    /// (measured: 0.51 s of system time against 0.37 s). Plain threads blocking on a monitor, not the thread
    /// pool: its idle workers spin in sched_yield (6000 calls, 0.2 s of CPU on a 1 GiB convert) on the
    /// cores the writer needs. Runs on the caller's thread, which blocks until the copy is done.
    /// </summary>
    private static void CopyInOrder(VirtualDisk source, List<(long Start, long Length)> jobs, int readers,
        Action<long, ReadOnlySpan<byte>> write, Action<long> written, CancellationToken ct)
    {
        // Reader r takes jobs r, r + readers, r + 2 readers ...: each lane is one reader and the writer, so a
        // signal wakes exactly the thread that waits for it and no lock is fought over by more than two.
        var lanes = Enumerable.Range(0, readers).Select(_ => new Lane(Math.Max(1, ChunksInFlight / readers))).ToArray();
        var threads = lanes.Select((lane, r) => new Thread(() => lane.Fill(source, jobs, r, readers))
        {
            IsBackground = true,
            Name = $"convert reader {r}",
        }).ToList();
        using var cancel = ct.Register(() => Array.ForEach(lanes, l => l.Stop()));
        threads.ForEach(t => t.Start());
        try
        {
            for (var index = 0; index < jobs.Count; index++)
            {
                var chunk = lanes[index % readers].Take(ct);
                try
                {
                    foreach (var (off, len) in chunk.DataRuns())
                    {
                        write(chunk.Start + off, chunk.Bytes.AsSpan(off, len));
                    }
                }
                finally
                {
                    chunk.Return();
                }
                written(chunk.Length);
            }
        }
        finally
        {
            Array.ForEach(lanes, l => l.Stop());
            threads.ForEach(t => t.Join());
            Array.ForEach(lanes, l => l.Drain());
        }
    }

    /// <summary>One reader's chunks on their way to the writer, in order: a bounded single-producer, single-consumer queue.</summary>
    private sealed class Lane(int depth)
    {
        private readonly Queue<Chunk> _ready = new();
        private Exception? _failure;
        private bool _stop;
        private bool _writerWaits;
        private bool _readerWaits;

        private object Gate => _ready; // Monitor.Wait needs a monitor, not a System.Threading.Lock.

        /// <summary>The reader thread: reads its share of the jobs, staying at most <c>depth</c> chunks ahead.</summary>
        public void Fill(VirtualDisk source, List<(long Start, long Length)> jobs, int first, int step)
        {
            for (var index = first; index < jobs.Count; index += step)
            {
                lock (Gate)
                {
                    while (!_stop && _ready.Count >= depth)
                    {
                        _readerWaits = true;
                        Monitor.Wait(Gate);
                        _readerWaits = false;
                    }
                    if (_stop)
                    {
                        return;
                    }
                }
                Chunk chunk;
                try
                {
                    chunk = Chunk.Read(source, jobs[index].Start, (int)jobs[index].Length);
                }
#pragma warning disable CA1031 // Handed to the writer, which rethrows it on its own thread.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    lock (Gate)
                    {
                        _failure = e;
                        Monitor.Pulse(Gate);
                    }
                    return;
                }
                lock (Gate)
                {
                    if (_stop)
                    {
                        chunk.Return();
                        return;
                    }
                    _ready.Enqueue(chunk);
                    if (_writerWaits)
                    {
                        Monitor.Pulse(Gate);
                    }
                }
            }
        }

        /// <summary>The writer: the lane's next chunk, waiting for it; rethrows the reader's failure.</summary>
        public Chunk Take(CancellationToken ct)
        {
            lock (Gate)
            {
                while (_ready.Count == 0 && _failure is null && !_stop)
                {
                    _writerWaits = true;
                    Monitor.Wait(Gate);
                    _writerWaits = false;
                }
                ct.ThrowIfCancellationRequested();
                if (_ready.Count == 0)
                {
                    if (_failure is not null)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
                    }
                    throw new InvalidOperationException("convert: a reader stopped before its chunk was read");
                }
                var chunk = _ready.Dequeue();
                if (_readerWaits)
                {
                    Monitor.Pulse(Gate);
                }
                return chunk;
            }
        }

        public void Stop()
        {
            lock (Gate)
            {
                _stop = true;
                Monitor.PulseAll(Gate);
            }
        }

        /// <summary>After the reader has stopped: chunks read ahead of a failed write go back to the pool.</summary>
        public void Drain()
        {
            while (_ready.TryDequeue(out var c))
            {
                c.Return();
            }
        }
    }

    /// <summary>One chunk read into a pooled buffer.</summary>
    private sealed class Chunk
    {
        private Chunk(long start, byte[] bytes, int length)
        {
            Start = start;
            Bytes = bytes;
            Length = length;
        }

        public long Start { get; }

        public byte[] Bytes { get; }

        public int Length { get; }

        public static Chunk Read(VirtualDisk source, long start, int length)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                source.Read(start, buffer.AsSpan(0, length));
                return new Chunk(start, buffer, length);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }

        /// <summary>
        /// The runs holding a non-zero byte, in 4 KiB blocks: like qemu-img's default -S 4k, blocks that read
        /// as zeros stay holes. Random or text data answers at its first bytes, so the scan costs little.
        /// </summary>
        public IEnumerable<(int Offset, int Length)> DataRuns()
        {
            var off = 0;
            while (off < Length)
            {
                if (IsZero(off))
                {
                    off += BlockLen(off);
                    continue;
                }
                var end = off + BlockLen(off);
                while (end < Length && !IsZero(end))
                {
                    end += BlockLen(end);
                }
                yield return (off, end - off);
                off = end;
            }
        }

        public void Return() => ArrayPool<byte>.Shared.Return(Bytes);

        private int BlockLen(int off) => Math.Min(ZeroBlock, Length - off);

        private bool IsZero(int off) => !Bytes.AsSpan(off, BlockLen(off)).ContainsAnyExcept((byte)0);
    }

    /// <summary>Splits the data-holding extents into chunks; zero and unallocated ranges are skipped.</summary>
    private static List<(long Start, long Length)> Plan(VirtualDisk source)
    {
        var jobs = new List<(long, long)>();
        foreach (var e in source.Map())
        {
            if (e.Zero)
            {
                continue;
            }
            for (var pos = e.Start; pos < e.End; pos += ChunkBytes)
            {
                jobs.Add((pos, Math.Min(ChunkBytes, e.End - pos)));
            }
        }
        return jobs;
    }

    /// <summary>A one-line progress bar on stderr, redrawn at most 10 times a second.</summary>
    private sealed class ConsoleProgress : IProgress<double>, IDisposable
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Lock _lock = new();
        private long _lastDrawMs = -1000;
        private bool _drawn;

        public void Report(double value)
        {
            lock (_lock)
            {
                var now = _clock.ElapsedMilliseconds;
                if (value < 1.0 && now - _lastDrawMs < 100)
                {
                    return;
                }
                _lastDrawMs = now;
                const int width = 40;
                var filled = (int)Math.Round(Math.Clamp(value, 0, 1) * width);
                Console.Error.Write(FormattableString.Invariant($"\r    [{new string('#', filled)}{new string('.', width - filled)}] {value * 100,6:0.00}%"));
                _drawn = true;
            }
        }

        public void Dispose()
        {
            if (_drawn)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
