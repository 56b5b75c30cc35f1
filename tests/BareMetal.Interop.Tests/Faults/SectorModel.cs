namespace BareMetal.Interop.Tests.Faults;

/// <summary>
/// What a disk may hold after a crash, sector by sector. Every write in these tests fills whole
/// 512-byte sectors with one byte value, so a sector is one value: the durable one (written and then
/// flushed, or seen after a restart), or, for sectors written since the last flush, any of the values
/// written there (NBD gives no promise for unflushed writes: each may land, or not, sector by sector).
/// Garbage, a torn sector, or a flushed value gone back is a failure.
/// </summary>
public sealed class SectorModel
{
    public const int SectorBytes = 512;

    private readonly byte[] _durable;
    private readonly Dictionary<long, HashSet<byte>> _pending = [];

    public SectorModel(ReadOnlySpan<byte> initial)
    {
        if (initial.Length % SectorBytes != 0)
        {
            throw new ArgumentException("whole sectors only", nameof(initial));
        }
        _durable = new byte[initial.Length / SectorBytes];
        for (var s = 0; s < _durable.Length; s++)
        {
            var sector = initial.Slice(s * SectorBytes, SectorBytes);
            if (sector.IndexOfAnyExcept(sector[0]) >= 0)
            {
                throw new ArgumentException($"sector {s} is not one repeated byte", nameof(initial));
            }
            _durable[s] = sector[0];
        }
    }

    public long Length => (long)_durable.Length * SectorBytes;

    /// <summary>Sectors written since the last flush (for the log).</summary>
    public int PendingSectors => _pending.Count;

    /// <summary>A write that was acknowledged and then covered by a successful FLUSH.</summary>
    public void Durable(long offset, long length, byte value)
    {
        foreach (var s in Sectors(offset, length))
        {
            _durable[s] = value;
            _pending.Remove(s);
        }
    }

    /// <summary>A write not (yet) covered by a FLUSH: it may or may not be there after a crash.</summary>
    public void Pending(long offset, long length, byte value)
    {
        foreach (var s in Sectors(offset, length))
        {
            if (!_pending.TryGetValue(s, out var set))
            {
                _pending[s] = set = [_durable[s]];
            }
            set.Add(value);
        }
    }

    /// <summary>
    /// Compares what was read back after a restart; returns the first problems found (empty = as
    /// promised). What was seen becomes the durable state (the next phase writes and flushes over it).
    /// </summary>
    public List<string> CheckAndSettle(ReadOnlySpan<byte> disk)
    {
        var problems = new List<string>();
        if (disk.Length != Length)
        {
            problems.Add($"disk reads {disk.Length} bytes, not {Length}");
            return problems;
        }
        for (var s = 0; s < _durable.Length; s++)
        {
            var sector = disk.Slice(s * SectorBytes, SectorBytes);
            var value = sector[0];
            var torn = sector.IndexOfAnyExcept(value);
            var allowed = _pending.TryGetValue(s, out var set) ? set : null;
            if (torn >= 0)
            {
                Note($"sector {s} (offset {(long)s * SectorBytes}) is torn: 0x{value:x2} then 0x{sector[torn]:x2} at byte {torn}");
            }
            else if (allowed is null ? value != _durable[s] : !allowed.Contains(value))
            {
                Note(allowed is null
                    ? $"sector {s} (offset {(long)s * SectorBytes}) holds 0x{value:x2}, flushed value was 0x{_durable[s]:x2}"
                    : $"sector {s} (offset {(long)s * SectorBytes}) holds 0x{value:x2}, none of the values written there ({string.Join(",", allowed.Select(v => $"0x{v:x2}"))})");
            }
            _durable[s] = value;
        }
        _pending.Clear();
        return problems;

        void Note(string problem)
        {
            if (problems.Count < 20)
            {
                problems.Add(problem);
            }
        }
    }

    private IEnumerable<long> Sectors(long offset, long length)
    {
        if (offset % SectorBytes != 0 || length % SectorBytes != 0 || offset < 0 || offset + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"{offset}+{length} is not whole sectors inside the disk");
        }
        for (var s = offset / SectorBytes; s < (offset + length) / SectorBytes; s++)
        {
            yield return s;
        }
    }
}
