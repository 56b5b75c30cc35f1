using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BareMetal.ImageStore.Formats;

/// <summary>
/// Positional, thread-safe access to one host file (pread/pwrite through <see cref="RandomAccess"/>).
/// Many readers may share one instance; there is no file position to race on.
/// </summary>
public sealed class FileSource : IDisposable
{
    private readonly SafeFileHandle _handle;
    private long _length;

    private FileSource(string path, SafeFileHandle handle, bool writable)
    {
        Path = path;
        _handle = handle;
        Writable = writable;
        _length = RandomAccess.GetLength(handle);
    }

    public string Path { get; }
    public bool Writable { get; }

    /// <summary>The file's length as last seen (refreshed by writes that extend it).</summary>
    public long Length => Volatile.Read(ref _length);

    public SafeFileHandle Handle => _handle;

    public static FileSource Open(string path, bool writable = false)
    {
        var handle = File.OpenHandle(path, FileMode.Open,
            writable ? FileAccess.ReadWrite : FileAccess.Read,
            writable ? FileShare.Read : FileShare.ReadWrite | FileShare.Delete,
            FileOptions.RandomAccess);
        return new FileSource(System.IO.Path.GetFullPath(path), handle, writable);
    }

    public static FileSource Create(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, FileOptions.RandomAccess);
        return new FileSource(System.IO.Path.GetFullPath(path), handle, true);
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes; bytes past end of file read as zero.</summary>
    public void ReadExactlyOrZero(long offset, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(_handle, buffer[done..], offset + done);
            if (n == 0)
            {
                buffer[done..].Clear();
                return;
            }
            done += n;
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes; bytes past end of file read as zero.</summary>
    public async ValueTask ReadExactlyOrZeroAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = await RandomAccess.ReadAsync(_handle, buffer[done..], offset + done, ct).ConfigureAwait(false);
            if (n == 0)
            {
                buffer.Span[done..].Clear();
                return;
            }
            done += n;
        }
    }

    /// <summary>Reads up to buffer.Length bytes; returns how many were read before end of file.</summary>
    public int ReadAtMost(long offset, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(_handle, buffer[done..], offset + done);
            if (n == 0)
            {
                break;
            }
            done += n;
        }
        return done;
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        RandomAccess.Write(_handle, data, offset);
        UpdateLength(offset + data.Length);
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        await RandomAccess.WriteAsync(_handle, data, offset, ct).ConfigureAwait(false);
        UpdateLength(offset + data.Length);
    }

    public void SetLength(long length)
    {
        RandomAccess.SetLength(_handle, length);
        Volatile.Write(ref _length, length);
    }

    public void Flush() => RandomAccess.FlushToDisk(_handle);

    private void UpdateLength(long end)
    {
        long seen;
        do
        {
            seen = Volatile.Read(ref _length);
            if (end <= seen)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _length, end, seen) != seen);
    }

    /// <summary>
    /// Next data or hole boundary at or after <paramref name="offset"/> (lseek SEEK_DATA / SEEK_HOLE).
    /// Returns null where the platform or file system cannot tell, so callers treat everything as data.
    /// </summary>
    public long? Seek(long offset, bool data)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var r = NativeMethods.lseek(_handle, offset, data ? NativeMethods.SEEK_DATA : NativeMethods.SEEK_HOLE);
        if (r < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // ENXIO: no data (or hole) at or after offset, i.e. the rest of the file is a hole.
            return errno == NativeMethods.ENXIO ? Length : null;
        }
        return r;
    }

    public void Dispose() => _handle.Dispose();

    private static partial class NativeMethods
    {
        public const int SEEK_DATA = 3;
        public const int SEEK_HOLE = 4;
        public const int ENXIO = 6;

        [DllImport("libc", SetLastError = true, EntryPoint = "lseek")]
        public static extern long lseek(SafeFileHandle fd, long offset, int whence);
    }
}
