using System.Globalization;

namespace BareMetal.ImageStore.Formats;

/// <summary>
/// The host-file ranges an image's metadata claims (headers, tables, data blocks). A check adds every
/// claim and <see cref="Report"/> finds those that overlap or run past the end of the file: two blocks
/// sharing bytes means a write to one corrupts the other (qemu-img check's "overlapping" class).
/// </summary>
internal sealed class FileRegions
{
    private readonly List<(long Start, long Length, string What)> _regions = [];

    public void Add(long start, long length, string what)
    {
        if (length > 0)
        {
            _regions.Add((start, length, what));
        }
    }

    /// <summary>Adds a finding to <paramref name="report"/> for each overlap and each region past <paramref name="fileLength"/>.</summary>
    public void Report(CheckReport report, long fileLength, CancellationToken cancellationToken = default)
    {
        _regions.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Length.CompareTo(b.Length));
        var furthest = (End: long.MinValue, What: "");
        for (var i = 0; i < _regions.Count; i++)
        {
            if ((i & 0xffff) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            var (start, length, what) = _regions[i];
            var end = start > long.MaxValue - length ? long.MaxValue : start + length;
            if (start < furthest.End)
            {
                report.Add(CheckSeverity.Corruption, string.Create(CultureInfo.InvariantCulture,
                    $"{what} at 0x{start:x} ({length} bytes) overlaps {furthest.What}"));
            }
            if (end > fileLength)
            {
                report.Add(CheckSeverity.Corruption, string.Create(CultureInfo.InvariantCulture,
                    $"{what} at 0x{start:x} ({length} bytes) runs past the end of the file ({fileLength} bytes)"));
            }
            if (end > furthest.End)
            {
                furthest = (end, what);
            }
        }
    }
}
