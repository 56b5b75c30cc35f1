namespace BareMetal.Pxe.Tests.Tftp;

/// <summary>
/// A clock that moves only when the test says so; its timers fire inside <see cref="Advance"/>.
/// (Microsoft.Extensions.TimeProvider.Testing's FakeTimeProvider does not restore here.)
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var t = new ManualTimer(this, callback, state);
        t.Change(dueTime, period);
        lock (_gate)
        {
            _timers.Add(t);
        }
        return t;
    }

    /// <summary>Timers that will fire (a due time is set).</summary>
    public int ArmedTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(t => t.Due is not null);
            }
        }
    }

    /// <summary>Moves time on and runs every timer callback that falls due, in order, on this thread.</summary>
    public void Advance(TimeSpan by)
    {
        var target = GetTimestamp() + by.Ticks;
        while (true)
        {
            ManualTimer? next = null;
            lock (_gate)
            {
                foreach (var t in _timers)
                {
                    if (t.Due is { } due && due <= target && (next is null || due < next.Due))
                    {
                        next = t;
                    }
                }
            }
            if (next is null)
            {
                break;
            }
            Interlocked.Exchange(ref _ticks, Math.Max(GetTimestamp(), next.Due!.Value));
            next.Fire();
        }
        Interlocked.Exchange(ref _ticks, target);
    }

    private void Remove(ManualTimer t)
    {
        lock (_gate)
        {
            _timers.Remove(t);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private long _period;

        public long? Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner.GetTimestamp() + dueTime.Ticks;
            _period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
            return true;
        }

        public void Fire()
        {
            Due = _period > 0 ? Due + _period : null;
            callback(state);
        }

        public void Dispose()
        {
            Due = null;
            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
