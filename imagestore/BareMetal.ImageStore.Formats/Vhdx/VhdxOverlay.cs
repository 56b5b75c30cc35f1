namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// The replayed log, kept in memory: 4 KiB file sectors whose content the log says differs from the
/// file. Every read of metadata, BAT and payload goes through it; the file itself is never written.
/// Immutable once built, so concurrent readers share it freely.
/// </summary>
public sealed class VhdxOverlay
{
    /// <summary>Most sectors a replay may touch (1 GiB of zeros or data): a lying zero descriptor cannot make us allocate more.</summary>
    public const int MaxSectors = 1 << 18;

    private const int SectorSize = VhdxLogEntry.SectorSize;

    private static readonly byte[] ZeroSector = new byte[SectorSize];

    private readonly long[] _keys;
    private readonly byte[][] _sectors;

    private VhdxOverlay(long[] keys, byte[][] sectors, int entries, long lastFileOffset, long flushedFileOffset)
    {
        _keys = keys;
        _sectors = sectors;
        EntriesReplayed = entries;
        LastFileOffset = lastFileOffset;
        FlushedFileOffset = flushedFileOffset;
    }

    public static VhdxOverlay Empty { get; } = new([], [], 0, 0, 0);

    public bool IsEmpty => _keys.Length == 0;

    public int EntriesReplayed { get; }

    /// <summary>The file length the last replayed entry expects after replay (the log may extend the file).</summary>
    public long LastFileOffset { get; }

    /// <summary>The file length the log requires before replay: a shorter file was truncated.</summary>
    public long FlushedFileOffset { get; }

    public int SectorCount => _keys.Length;

    /// <summary>Applies the entries' writes in order; later writes win.</summary>
    public static VhdxOverlay Build(IReadOnlyList<VhdxLogEntry> sequence, string? path)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Count == 0)
        {
            return Empty;
        }
        var map = new Dictionary<long, byte[]>();
        foreach (var entry in sequence)
        {
            foreach (var (offset, data, length) in entry.Writes)
            {
                if (length / SectorSize > MaxSectors - map.Count)
                {
                    throw new ImageFormatException(path, ImageFormat.Vhdx, ImageError.SizeOutOfRange,
                        $"log replay would rewrite more than {MaxSectors} sectors (entry {entry.SequenceNumber} writes {length} bytes at 0x{offset:x})");
                }
                for (long s = 0; s < length; s += SectorSize)
                {
                    map[offset + s] = data ?? ZeroSector;
                }
            }
        }
        var keys = map.Keys.Order().ToArray();
        var sectors = keys.Select(k => map[k]).ToArray();
        var last = sequence[^1];
        return new VhdxOverlay(keys, sectors, sequence.Count, (long)Math.Min(last.LastFileOffset, long.MaxValue / 2),
            (long)Math.Min(last.FlushedFileOffset, long.MaxValue / 2));
    }

    /// <summary>Start of the first replayed sector that ends after <paramref name="pos"/>, or long.MaxValue.</summary>
    public long NextSectorAfter(long pos)
    {
        var i = FirstEndingAfter(pos);
        return i < _keys.Length ? _keys[i] : long.MaxValue;
    }

    /// <summary>Overwrites the parts of <paramref name="dest"/> (file bytes at <paramref name="fileOffset"/>) that the log replaced.</summary>
    public void Apply(long fileOffset, Span<byte> dest)
    {
        for (var i = FirstEndingAfter(fileOffset); i < _keys.Length && _keys[i] < fileOffset + dest.Length; i++)
        {
            var from = Math.Max(_keys[i], fileOffset);
            var to = Math.Min(_keys[i] + SectorSize, fileOffset + dest.Length);
            _sectors[i].AsSpan((int)(from - _keys[i]), (int)(to - from)).CopyTo(dest[(int)(from - fileOffset)..]);
        }
    }

    private int FirstEndingAfter(long pos)
    {
        int lo = 0, hi = _keys.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_keys[mid] + SectorSize <= pos)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
