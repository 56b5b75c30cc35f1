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

    /// <summary>
    /// How long the receiving thread of a pipelining client (several requests in one receive, as at queue
    /// depth 32) polls the socket for the next request before it sleeps in recv; zero never polls. See
    /// <see cref="ReceiveSpin"/>: a poll in vain backs that connection off.
    /// </summary>
    public TimeSpan SpinBeforeReceive { get; init; } = TimeSpan.FromMicroseconds(30);

    /// <summary>Connections of the process that may poll at once: cores - 1, so a one-core machine never polls.</summary>
    public int MaxSpinning { get; init; } = Math.Max(0, Environment.ProcessorCount - 1);

    /// <summary>How often the watchdog looks for stalled connections.</summary>
    public TimeSpan WatchdogPeriod { get; init; } = TimeSpan.FromSeconds(1);
}
