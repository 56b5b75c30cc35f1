namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>Our strategy: the VMM fetches the boot working set recorded on earlier boots into its
/// own memory in large requests while it boots, and runs the background copy only once the guest
/// has been idle for <see cref="IdleGapMs"/> (adaptive copy rate).</summary>
public sealed class PrefetchSpec
{
    public int FetchKiB { get; set; } = 4096;

    public double IdleGapMs { get; set; } = 50;

    internal void Validate()
    {
        Check.Range("prefetch.fetchKiB", FetchKiB, 4, 1 << 20);
        Check.Range("prefetch.idleGapMs", IdleGapMs, 0, 1e6);
    }
}
