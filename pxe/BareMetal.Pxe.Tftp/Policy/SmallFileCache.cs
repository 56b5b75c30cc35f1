using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>
/// Keeps the bytes of small, hot files (iPXE binaries, configs: what every booting node fetches)
/// so their transfers need no read system call per block. An entry is valid while the file's
/// length and modification time are unchanged; big files are never cached, they are read by
/// position. When the total passes the capacity the cache is emptied and refills on demand.
/// </summary>
public sealed class SmallFileCache(int maxFileSize = SmallFileCache.DefaultMaxFileSize, long capacity = SmallFileCache.DefaultCapacity)
{
    /// <summary>Largest file cached: iPXE's EFI binaries are about 1 MiB, undionly.kpxe 70 KiB.</summary>
    public const int DefaultMaxFileSize = 4 << 20;

    /// <summary>Total bytes kept before the cache starts over.</summary>
    public const long DefaultCapacity = 64 << 20;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _size;

    public int MaxFileSize => maxFileSize;

    /// <summary>The cached bytes of <paramref name="path"/> (open as <paramref name="handle"/>), reading them on a miss; null when the file is too big.</summary>
    public byte[]? Get(string path, SafeFileHandle handle)
    {
        var length = RandomAccess.GetLength(handle);
        if (length > maxFileSize)
        {
            return null;
        }
        var stamp = File.GetLastWriteTimeUtc(handle);
        if (_entries.TryGetValue(path, out var hit) && hit.Bytes.LongLength == length && hit.Stamp == stamp)
        {
            return hit.Bytes;
        }
        var bytes = new byte[length];
        var done = 0;
        while (done < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(done), done);
            if (n == 0)
            {
                throw new IOException($"{path} shrank while being read");
            }
            done += n;
        }
        if (Interlocked.Add(ref _size, length) > capacity)
        {
            _entries.Clear();
            Interlocked.Exchange(ref _size, length);
        }
        _entries[path] = new Entry(bytes, stamp);
        return bytes;
    }

    private sealed record Entry(byte[] Bytes, DateTime Stamp);
}
