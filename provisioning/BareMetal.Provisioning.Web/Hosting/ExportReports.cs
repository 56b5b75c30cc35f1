using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Reads the block service's counters into <see cref="ExportReport"/>s, and turns read ranges into what
/// the pictures and the API show. Counters are sampled, never reset: they count since this process
/// opened the export.
/// </summary>
public static class ExportReports
{
    /// <summary>Every served export (see <see cref="CatalogExportProvider.Served"/>), by name.</summary>
    public static IReadOnlyList<ExportReport> All(CatalogExportProvider exports)
    {
        ArgumentNullException.ThrowIfNull(exports);
        return [.. exports.Served().Select(Of)];
    }

    /// <summary>One served export by its exact name; null when there is none (or it was never opened, for a per-node name).</summary>
    public static ExportReport? Find(CatalogExportProvider exports, string name)
    {
        ArgumentNullException.ThrowIfNull(exports);
        return exports.Served().FirstOrDefault(e => e.Name == name) is { } export ? Of(export) : null;
    }

    public static ExportReport Of(NbdExport export)
    {
        ArgumentNullException.ThrowIfNull(export);
        var at = export.Name.IndexOf(OverlayExportProvider.IdentitySeparator, StringComparison.Ordinal);
        var node = at < 0 ? null : Macs.Normalise(export.Name[(at + 1)..]) ?? export.Name[(at + 1)..];
        var clients = export.Counters.ClientSnapshots()
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new ExportClientReport(kv.Key, kv.Value))
            .ToList();
        return new ExportReport(export.Name, node, export.Description, export.ReadOnly, export.Size, export.Counters.Snapshot(), clients);
    }

    /// <summary>
    /// The ranges read as (offset, length), cut at the end of the disk (the counters keep whole 64 KiB
    /// regions, so the last one may reach past a disk that is not a multiple of that).
    /// </summary>
    public static IReadOnlyList<(long Offset, long Length)> Regions(IReadOnlyList<(long Start, long End)> ranges, long size)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var list = new List<(long, long)>(ranges.Count);
        foreach (var (start, end) in ranges)
        {
            var e = Math.Min(end, size);
            if (e > start)
            {
                list.Add((start, e - start));
            }
        }
        return list;
    }

    /// <summary>Bytes of the disk inside the ranges read.</summary>
    public static long CoveredBytes(IReadOnlyList<(long Start, long End)> ranges, long size) =>
        Regions(ranges, size).Sum(r => r.Length);

    /// <summary>
    /// The ranges read as allocation-map buckets (read = data, the rest = hole), so
    /// <see cref="WebConsole.AllocationMapSvg"/> draws them as it draws an image's allocation.
    /// </summary>
    public static IReadOnlyList<ImageMapBucket> Buckets(IReadOnlyList<(long Start, long End)> ranges, long size, int buckets)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(buckets);
        if (size <= 0)
        {
            return [];
        }
        var regions = Regions(ranges, size);
        var n = (int)Math.Min(buckets, size);
        var result = new ImageMapBucket[n];
        var r = 0;
        for (var i = 0; i < n; i++)
        {
            var start = (long)((Int128)size * i / n);
            var end = (long)((Int128)size * (i + 1) / n);
            long read = 0;
            while (r < regions.Count && regions[r].Offset + regions[r].Length <= start)
            {
                r++;
            }
            for (var j = r; j < regions.Count && regions[j].Offset < end; j++)
            {
                read += Math.Min(end, regions[j].Offset + regions[j].Length) - Math.Max(start, regions[j].Offset);
            }
            var fraction = (double)read / (end - start);
            result[i] = new ImageMapBucket(start, end - start, fraction, 0, 1 - fraction);
        }
        return result;
    }
}
