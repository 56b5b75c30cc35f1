namespace BareMetal.ImageStore.Nbd.Counters;

/// <summary>A consistent-enough copy of one set of counters, for the console.</summary>
/// <param name="BlocksTouched">Distinct regions read or written.</param>
/// <param name="ReadRanges">Byte ranges that have been read, merged to region granularity.</param>
public sealed record CounterSnapshot(
    long BytesRead,
    long BytesWritten,
    long Requests,
    long BlocksTouched,
    long RegionSize,
    long RegionCount,
    IReadOnlyList<(long Start, long End)> ReadRanges);
