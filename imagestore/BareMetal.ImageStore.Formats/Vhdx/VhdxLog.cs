namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// Finds the active sequence of a VHDX log (MS-VHDX 2.3.3): the valid entry with the highest
/// sequence number is the head; its tail field names the oldest entry still needed, and the
/// entries from there to the head, with consecutive sequence numbers, are replayed in order.
/// Pure: works on the log's bytes, never touches the file.
/// </summary>
public static class VhdxLog
{
    /// <summary>The active sequence, oldest first; empty when the log holds no valid entry.</summary>
    public static IReadOnlyList<VhdxLogEntry> ActiveSequence(ReadOnlySpan<byte> log, Guid logGuid)
    {
        if (log.Length == 0 || log.Length % VhdxLogEntry.SectorSize != 0)
        {
            return [];
        }
        var byStart = new Dictionary<int, VhdxLogEntry>();
        for (var pos = 0; pos < log.Length; pos += VhdxLogEntry.SectorSize)
        {
            if (VhdxLogEntry.TryParse(log, pos, logGuid) is { } e)
            {
                byStart[pos] = e;
            }
        }
        if (byStart.Count == 0)
        {
            return [];
        }
        var head = byStart.MaxBy(kv => kv.Value.SequenceNumber);
        var fromTail = Walk(byStart, (int)head.Value.Tail, head.Key, log.Length);
        if (fromTail is not null)
        {
            return fromTail;
        }
        // The tail does not lead to the head (a writer that does not maintain it): replay the longest
        // run of consecutive entries that ends at the head, as qemu effectively does.
        var logLength = log.Length;
        var sequence = new List<VhdxLogEntry> { head.Value };
        var startOf = head.Key;
        while (sequence.Count < byStart.Count)
        {
            var prev = byStart.FirstOrDefault(kv => (kv.Key + kv.Value.EntryLength) % logLength == startOf &&
                                                    kv.Value.SequenceNumber + 1 == sequence[0].SequenceNumber);
            if (prev.Value is null)
            {
                break;
            }
            sequence.Insert(0, prev.Value);
            startOf = prev.Key;
        }
        return sequence;
    }

    private static List<VhdxLogEntry>? Walk(Dictionary<int, VhdxLogEntry> byStart, int tail, int headStart, int logLength)
    {
        var list = new List<VhdxLogEntry>();
        var pos = tail;
        while (list.Count <= byStart.Count)
        {
            if (!byStart.TryGetValue(pos, out var e) || (list.Count > 0 && e.SequenceNumber != list[^1].SequenceNumber + 1))
            {
                return null;
            }
            list.Add(e);
            if (pos == headStart)
            {
                return list;
            }
            pos = (pos + e.EntryLength) % logLength;
        }
        return null;
    }
}
