using System.Threading.Channels;

namespace BareMetal.Provisioning.Core.Events;

/// <summary>In-process <see cref="IProvisioningEvents"/> over one bounded channel per subscriber.</summary>
public sealed class ProvisioningEventHub : IProvisioningEvents
{
    /// <summary>Changes queued per subscriber before the oldest are dropped.</summary>
    public const int QueueLength = 1024;

    private readonly Lock _lock = new();
    private readonly List<Channel<ProvisioningChange>> _subscribers = [];

    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>
    /// Raised synchronously inside <see cref="Publish"/>, before any subscriber's queue is written, for
    /// in-process state that must never miss a change (the access table): unlike a subscription it has no
    /// queue to overflow. Handlers must be quick and must not throw.
    /// </summary>
    public event Action<ProvisioningChange>? Committed;

    public void Publish(ProvisioningChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Committed?.Invoke(change);
        Channel<ProvisioningChange>[] targets;
        lock (_lock)
        {
            targets = [.. _subscribers];
        }
        foreach (var c in targets)
        {
            c.Writer.TryWrite(change);
        }
    }

    /// <summary>
    /// Registers the subscriber at once, so a change published after this call returns is heard even when the
    /// first <c>MoveNextAsync</c> comes later (a listener started on another task). The queue is removed when
    /// the enumeration ends or its enumerator is disposed.
    /// </summary>
    public IAsyncEnumerable<ProvisioningChange> SubscribeAsync(CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<ProvisioningChange>(new BoundedChannelOptions(QueueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            _subscribers.Add(channel);
        }
        return new Subscription(this, channel, cancellationToken);
    }

    private void Remove(Channel<ProvisioningChange> channel)
    {
        lock (_lock)
        {
            _subscribers.Remove(channel);
        }
    }

    /// <summary>One subscriber's queue, enumerable once.</summary>
    private sealed class Subscription(ProvisioningEventHub hub, Channel<ProvisioningChange> channel, CancellationToken subscribed)
        : IAsyncEnumerable<ProvisioningChange>
    {
        private int _taken;

        public IAsyncEnumerator<ProvisioningChange> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _taken, 1) != 0)
            {
                throw new InvalidOperationException("A change-feed subscription is enumerated once; subscribe again for another reader.");
            }
            return new Enumerator(hub, channel, CancellationTokenSource.CreateLinkedTokenSource(subscribed, cancellationToken));
        }
    }

    private sealed class Enumerator(ProvisioningEventHub hub, Channel<ProvisioningChange> channel, CancellationTokenSource cancel)
        : IAsyncEnumerator<ProvisioningChange>
    {
        private int _disposed;

        public ProvisioningChange Current { get; private set; } = null!;

        public async ValueTask<bool> MoveNextAsync()
        {
            try
            {
                while (await channel.Reader.WaitToReadAsync(cancel.Token))
                {
                    if (channel.Reader.TryRead(out var next))
                    {
                        Current = next;
                        return true;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            return false;
        }

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                hub.Remove(channel);
                cancel.Dispose();
            }
            return ValueTask.CompletedTask;
        }
    }
}
