namespace BareMetal.MediatorModel.Tests.Mediation;

/// <summary>The random knobs of one property-test run.</summary>
internal sealed record WorkloadShape(
    int Seed,
    int HorizonMs,
    bool Prefetch,
    int ServiceUs,
    int Workers,
    int Files,
    int ExtraReads,
    int Writes,
    int PagesPerRead,
    int ThinkMs,
    int WorkloadKind,
    int QueueDepth,
    int CpuUs,
    int ChunkPages,
    int CopyOutstanding,
    int ExitUs,
    int IdleGapMs);
