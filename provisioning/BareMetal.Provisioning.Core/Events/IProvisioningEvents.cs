namespace BareMetal.Provisioning.Core.Events;

/// <summary>
/// The change feed behind the live console (SSE). Each subscriber gets its own bounded queue: a slow
/// browser loses its oldest changes (it re-reads the state on reconnect) and never slows the server.
/// Changes are those committed by this process (a second server sharing PostgreSQL is not heard).
/// </summary>
public interface IProvisioningEvents
{
    /// <summary>
    /// Changes published after this call returns (the subscriber is registered here, not at the first
    /// <c>MoveNextAsync</c>), until <paramref name="cancellationToken"/> fires. Enumerate it once, and dispose
    /// the enumerator (<c>await foreach</c> does) to unsubscribe.
    /// </summary>
    IAsyncEnumerable<ProvisioningChange> SubscribeAsync(CancellationToken cancellationToken = default);

    /// <summary>Publishes a change to every subscriber (the stores call this after they commit).</summary>
    void Publish(ProvisioningChange change);

    /// <summary>Current number of subscribers (for /metrics).</summary>
    int SubscriberCount { get; }
}
