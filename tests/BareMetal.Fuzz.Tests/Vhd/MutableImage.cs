using Microsoft.Win32.SafeHandles;

namespace BareMetal.Fuzz.Tests.Vhd;

/// <summary>
/// A valid image in memory (and optionally on disk), mutated in place and restored after each case:
/// only the touched bytes are written, so a fuzz case costs a few pwrites instead of a file copy.
/// </summary>
internal sealed class MutableImage : IDisposable
{
    private readonly byte[] _work;
    private readonly SafeFileHandle? _handle;
    private readonly List<(long Offset, byte[] Old)> _undo = [];

    public MutableImage(byte[] original, string? path = null)
    {
        Path = path ?? "<memory>";
        _work = original.ToArray();
        if (path is not null)
        {
            File.WriteAllBytes(path, _work);
            _handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
    }

    public string Path { get; }

    /// <summary>Reads like pread on the mutated image: bytes past the end read as zeros.</summary>
    public void ReadAt(long offset, Span<byte> dest)
    {
        dest.Clear();
        if (offset >= 0 && offset < _work.Length)
        {
            _work.AsSpan((int)offset, (int)Math.Min(dest.Length, _work.Length - offset)).CopyTo(dest);
        }
    }

    public long Length => _work.Length;

    public ReadOnlySpan<byte> Bytes => _work;

    public void Set(long offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0 || offset >= _work.Length)
        {
            return;
        }
        data = data[..(int)Math.Min(data.Length, _work.Length - offset)];
        _undo.Add((offset, _work.AsSpan((int)offset, data.Length).ToArray()));
        data.CopyTo(_work.AsSpan((int)offset));
        if (_handle is not null)
        {
            RandomAccess.Write(_handle, data, offset);
        }
    }

    public void Restore()
    {
        for (var i = _undo.Count - 1; i >= 0; i--)
        {
            var (offset, old) = _undo[i];
            old.CopyTo(_work.AsSpan((int)offset));
            if (_handle is not null)
            {
                RandomAccess.Write(_handle, old, offset);
            }
        }
        _undo.Clear();
    }

    /// <summary>One random mutation inside [start, end): a byte, a bit, or an interesting 2/4/8-byte value.</summary>
    public void Mutate(Random rng, long start, long end)
    {
        end = Math.Min(end, _work.Length);
        if (end <= start)
        {
            return;
        }
        var at = start + rng.NextInt64(end - start);
        switch (rng.Next(6))
        {
            case 0:
                Set(at, [(byte)rng.Next(256)]);
                break;
            case 1:
                Set(at, [(byte)(_work[at] ^ (1 << rng.Next(8)))]);
                break;
            case 2:
                Set(at, [Interesting8[rng.Next(Interesting8.Length)]]);
                break;
            default:
                var width = 2 << rng.Next(3);
                at -= at % width;
                var value = Interesting64[rng.Next(Interesting64.Length)];
                var bytes = BitConverter.GetBytes(value);
                if (rng.Next(2) == 0)
                {
                    Array.Reverse(bytes);
                    Set(at, bytes.AsSpan(8 - width));
                }
                else
                {
                    Set(at, bytes.AsSpan(0, width));
                }
                break;
        }
    }

    private static readonly byte[] Interesting8 = [0, 1, 0x7F, 0x80, 0xFF, 0x10, 0x20, 0x40];

    private static readonly ulong[] Interesting64 =
    [
        0, 1, 2, 6, 7, 0x7F, 0x80, 0xFF, 0x100, 0x200, 0x1FF, 0x1000, 0xFFFF, 0x10000, 0x100000, 0x7FFFFFFF, 0x80000000,
        0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFE00, 0x4000000000000000,
    ];

    public void Dispose() => _handle?.Dispose();
}
