using System.Text.Json;

namespace BareMetal.Interop.Tests.Qcow2;

/// <summary>
/// Parsed `qemu-img map --output=json` entries, for the one shape we cannot print byte for byte:
/// qemu 7.2 digs into the host file of a qcow2 that looks metadata-preallocated (its heuristic fires
/// on small images) and marks host holes inside data clusters "zero": true, "data": true. Our map
/// has no data+zero state, so <see cref="Normalise"/> folds those into plain data.
/// </summary>
internal sealed record QemuMap(long Start, long Length, int Depth, bool Present, bool Zero, bool Data, long? Offset)
{
    public static List<QemuMap> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new QemuMap(
            e.GetProperty("start").GetInt64(),
            e.GetProperty("length").GetInt64(),
            e.GetProperty("depth").GetInt32(),
            e.GetProperty("present").GetBoolean(),
            e.GetProperty("zero").GetBoolean(),
            e.GetProperty("data").GetBoolean(),
            e.TryGetProperty("offset", out var o) ? o.GetInt64() : null)).ToList();
    }

    public static List<QemuMap> Normalise(IEnumerable<QemuMap> entries)
    {
        var result = new List<QemuMap>();
        foreach (var raw in entries)
        {
            var e = raw.Data ? raw with { Zero = false } : raw;
            if (result.Count > 0)
            {
                var last = result[^1];
                var contiguous = last.Offset is null ? e.Offset is null : e.Offset == last.Offset + last.Length;
                if (last.Start + last.Length == e.Start && last.Depth == e.Depth && last.Present == e.Present &&
                    last.Zero == e.Zero && last.Data == e.Data && contiguous)
                {
                    result[^1] = last with { Length = last.Length + e.Length };
                    continue;
                }
            }
            result.Add(e);
        }
        return result;
    }
}
