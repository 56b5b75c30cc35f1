namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>Per-connection bounds: what one slow or hostile client may cost the server.</summary>
public sealed record NbdServerOptions
{
    /// <summary>Concurrent connections; more are closed at once.</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>
    /// Requests in flight per connection, counted in units of one request plus one per MiB of payload,
    /// so one connection never buffers more than about this many MiB of replies and writes.
    /// </summary>
    public int MaxInflightUnits { get; init; } = 128;

    /// <summary>A client must choose an export within this time.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A reply that the client does not take within this time ends the connection (it stopped reading).</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the watchdog looks for stalled connections.</summary>
    public TimeSpan WatchdogPeriod { get; init; } = TimeSpan.FromSeconds(1);
}
