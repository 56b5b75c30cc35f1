using BareMetal.Provisioning.Power;

namespace BareMetal.Provisioning.Power.Tests.Orchestration;

/// <summary>A driver whose calls take a given (injected) time and fail as scripted; counts concurrency.</summary>
internal sealed class ScriptedDriver : IPowerDriver
{
    private readonly TimeProvider _time;
    private readonly Queue<PowerFailure?> _script;
    private readonly Shared _shared;
    private int _inFlight;

    public ScriptedDriver(TimeProvider time, TimeSpan duration, Shared shared, params PowerFailure?[] script)
    {
        _time = time;
        Duration = duration;
        _shared = shared;
        _script = new Queue<PowerFailure?>(script);
    }

    public TimeSpan Duration { get; set; }

    public int Calls { get; private set; }

    public int MaxInFlightHere { get; private set; }

    public List<DateTimeOffset> Starts { get; } = [];

    public Task<PowerState> GetPowerStateAsync(CancellationToken cancellationToken) => RunAsync(PowerState.On, cancellationToken);

    public Task<PowerActionResult> PowerOnAsync(CancellationToken cancellationToken) => RunAsync(PowerActionResult.Done, cancellationToken);

    public Task<PowerActionResult> PowerOffAsync(CancellationToken cancellationToken) => RunAsync(PowerActionResult.Done, cancellationToken);

    public Task<PowerActionResult> SoftOffAsync(CancellationToken cancellationToken) => RunAsync(PowerActionResult.Done, cancellationToken);

    public Task<PowerActionResult> CycleAsync(CancellationToken cancellationToken) => RunAsync(PowerActionResult.Done, cancellationToken);

    public Task<PowerActionResult> SetNextBootAsync(BootDevice device, bool persistent, CancellationToken cancellationToken) => RunAsync(PowerActionResult.Done, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<T> RunAsync<T>(T result, CancellationToken cancellationToken)
    {
        Calls++;
        Starts.Add(_time.GetUtcNow());
        MaxInFlightHere = Math.Max(MaxInFlightHere, Interlocked.Increment(ref _inFlight));
        _shared.Enter();
        try
        {
            await Task.Delay(Duration, _time, cancellationToken);
            if (_script.TryDequeue(out var failure) && failure is { } f)
            {
                throw new PowerException(f, $"scripted {f}");
            }
            return result;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _shared.Leave();
        }
    }

    /// <summary>Concurrency across all drivers of one test.</summary>
    internal sealed class Shared
    {
        private int _now;

        public int Now => Volatile.Read(ref _now);

        public int Max { get; private set; }

        public void Enter()
        {
            var n = Interlocked.Increment(ref _now);
            lock (this)
            {
                Max = Math.Max(Max, n);
            }
        }

        public void Leave() => Interlocked.Decrement(ref _now);
    }
}
