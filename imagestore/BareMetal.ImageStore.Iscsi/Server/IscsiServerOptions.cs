namespace BareMetal.ImageStore.Iscsi.Server;

/// <summary>What one slow or hostile initiator may cost the target.</summary>
public sealed record IscsiServerOptions
{
    /// <summary>Concurrent connections; more are closed at once.</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>An initiator must finish logging in within this time.</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A reply the initiator does not take within this time ends the connection (it stopped reading).</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the watchdog looks for stalled connections.</summary>
    public TimeSpan WatchdogPeriod { get; init; } = TimeSpan.FromSeconds(1);
}
