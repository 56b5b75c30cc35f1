using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;

namespace BareMetal.Cli;

/// <summary>`baremetal image convert SRC DST -O raw|qcow2`.</summary>
internal static class ImageConvert
{
    /// <summary>Unit of work per copy task: big enough to amortise lookups, small enough to spread over cores.</summary>
    private const int ChunkBytes = 2 << 20;

    public static Command Create()
    {
        var src = new Argument<FileInfo>("SRC") { Description = "Source image (any format we read)." };
        var dst = new Argument<FileInfo>("DST") { Description = "Destination file (created or replaced)." };
        var fmt = new Option<string>("-O", "--output-format") { Description = "Output format: raw or qcow2.", DefaultValueFactory = _ => "raw" };
        fmt.AcceptOnlyFromAmong("raw", "qcow2");
        var progress = new Option<bool?>("-p", "--progress") { Description = "Show progress (default: on when stderr is a terminal)." };
        var cmd = new Command("convert", "Convert an image to raw or qcow2 v3, skipping holes and zeros.") { src, dst, fmt, progress };
        cmd.SetAction(async (parse, ct) =>
        {
            var source = parse.GetValue(src)!;
            var target = parse.GetValue(dst)!;
            var showProgress = parse.GetValue(progress) ?? !Console.IsErrorRedirected;
            using var disk = ImageCommands.OpenExisting(source);
            if (Path.GetFullPath(target.FullName) == disk.Path)
            {
                throw new CliException($"{target.FullName}: destination is the source image");
            }
            await ConvertAsync(disk, target.FullName, parse.GetValue(fmt) == "qcow2" ? ImageFormat.Qcow2 : ImageFormat.Raw,
                showProgress ? new ConsoleProgress() : null, ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>Copies every non-zero byte of <paramref name="source"/> into a new image at <paramref name="destination"/>.</summary>
    public static async Task ConvertAsync(VirtualDisk source, string destination, ImageFormat format, IProgress<double>? progress, CancellationToken ct)
    {
        // Write to a temporary name and rename at the end: a failed or cancelled convert never leaves
        // a half-written file under the name the user asked for.
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
            var jobs = Plan(source);
            long total = jobs.Sum(j => j.Length);
            long done = 0;
            var writeLock = new Lock();
            var workers = Math.Max(2, Environment.ProcessorCount);
            await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct }, (job, _) =>
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                try
                {
                    var span = buffer.AsSpan(0, (int)job.Length);
                    source.Read(job.Start, span);
                    // Like qemu-img's default -S 4k: blocks that read as zeros stay holes.
                    for (var off = 0; off < span.Length; off += 4096)
                    {
                        var block = span.Slice(off, Math.Min(4096, span.Length - off));
                        if (!block.ContainsAnyExcept((byte)0))
                        {
                            continue;
                        }
                        var end = off + block.Length;
                        while (end < span.Length && span.Slice(end, Math.Min(4096, span.Length - end)).ContainsAnyExcept((byte)0))
                        {
                            end += Math.Min(4096, span.Length - end);
                        }
                        if (rawTarget is not null)
                        {
                            rawTarget.Write(job.Start + off, span[off..end]);
                        }
                        else
                        {
                            lock (writeLock)
                            {
                                target!.Write(job.Start + off, span[off..end]);
                            }
                        }
                        off = end - 4096;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                progress?.Report((double)Interlocked.Add(ref done, job.Length) / Math.Max(1, total));
                return ValueTask.CompletedTask;
            });
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
