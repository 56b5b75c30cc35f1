using System.Runtime.CompilerServices;
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

    public void Publish(ProvisioningChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
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

    public async IAsyncEnumerable<ProvisioningChange> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
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
        try
        {
            while (true)
            {
                ProvisioningChange next;
                try
                {
                    if (!await channel.Reader.WaitToReadAsync(cancellationToken))
                    {
                        yield break;
                    }
                    if (!channel.Reader.TryRead(out next!))
                    {
                        continue;
                    }
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                yield return next;
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
            }
        }
    }
}
