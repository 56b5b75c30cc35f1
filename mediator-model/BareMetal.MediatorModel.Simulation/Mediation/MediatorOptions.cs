namespace BareMetal.MediatorModel.Simulation.Mediation;

/// <summary>Knobs of one mediator instance, taken from the scenario's vmm and prefetch sections.</summary>
internal sealed record MediatorOptions
{
    /// <summary>One VM exit and resume, ns.</summary>
    public long ExitNs { get; init; } = 2_000;

    /// <summary>Exits between the physical interrupt and the guest seeing its completion: the
    /// interrupt exit, the injection, and the ISR's trapped reads and writes of PxIS and PxCI.</summary>
    public int CompletionExits { get; init; } = 4;

    /// <summary>Copy fetches in flight.</summary>
    public int CopyOutstanding { get; init; } = 1;

    /// <summary>Boot-working-set extents (byte offset, length) to fetch into VMM memory first, in
    /// recorded first-access order; empty for the seed's VMM.</summary>
    public IReadOnlyList<(long Offset, long Length)> Prefetch { get; init; } = [];

    /// <summary>Adaptive copy: while the guest has issued fewer than <see cref="AdaptiveReads"/> reads,
    /// copy only after the guest has been idle this long. 0 = the seed's rule alone.</summary>
    public long IdleGapNs { get; init; }

    public long AdaptiveReads { get; init; }

    /// <summary>Memory-to-memory copy rate for reads served from the prefetch cache, bytes/s.</summary>
    public double MemoryCopyBytesPerSecond { get; init; } = 5e9;

    /// <summary>Fault injection for tests: the copy ignores the guest-written bitmap (and so
    /// overwrites the guest's data). Never set outside tests.</summary>
    public bool FaultCopyIgnoresGuestWrites { get; init; }

    /// <summary>Real-network mode: fetches also read real blocks over NBD.</summary>
    public Real.RealNetworkMode? Real { get; init; }
}
