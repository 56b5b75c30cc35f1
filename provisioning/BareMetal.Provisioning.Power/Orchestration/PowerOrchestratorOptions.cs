namespace BareMetal.Provisioning.Power.Orchestration;

/// <summary>Bounds of the orchestrator: calls in flight, per-call timeout, retry and back-off.</summary>
public sealed record PowerOrchestratorOptions
{
    /// <summary>BMC calls in flight at once across all nodes.</summary>
    public int MaxInFlight { get; init; } = 16;

    /// <summary>One attempt longer than this fails with <see cref="PowerFailure.Timeout"/> (and frees its slot).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts in all for transient failures (Unreachable, Busy); 1 = no retry.</summary>
    public int MaxAttempts { get; init; } = 4;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
