using System.Text.Json;

namespace BareMetal.Interop.Tests.Vhd;

/// <summary>Reads `qemu-img map --output=json` (and ours) down to what matters per granule.</summary>
internal static class MapJson
{
    public const int Granule = 64 * 1024;

    public sealed record Extent(long Start, long Length, bool Present, bool Zero, bool Data, long? Offset);

    public static List<Extent> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new Extent(
            e.GetProperty("start").GetInt64(),
            e.GetProperty("length").GetInt64(),
            e.GetProperty("present").GetBoolean(),
            e.GetProperty("zero").GetBoolean(),
            e.GetProperty("data").GetBoolean(),
            e.TryGetProperty("offset", out var o) ? o.GetInt64() : null)).ToList();
    }

    /// <summary>For each granule: does the map say every byte of it reads as zero?</summary>
    public static bool[] ZeroGranules(List<Extent> map, long length)
    {
        var result = new bool[(length + Granule - 1) / Granule];
        for (var g = 0; g < result.Length; g++)
        {
            var start = (long)g * Granule;
            var end = Math.Min(start + Granule, length);
            result[g] = map.Where(e => e.Start < end && e.Start + e.Length > start).All(e => e.Zero);
        }
        return result;
    }

    /// <summary>For each granule: is any byte of it non-zero in the raw file?</summary>
    public static bool[] NonZeroGranules(string rawPath)
    {
        var bytes = File.ReadAllBytes(rawPath);
        var result = new bool[(bytes.Length + Granule - 1) / Granule];
        for (var g = 0; g < result.Length; g++)
        {
            var start = g * Granule;
            result[g] = bytes.AsSpan(start, Math.Min(Granule, bytes.Length - start)).ContainsAnyExcept((byte)0);
        }
        return result;
    }
}
