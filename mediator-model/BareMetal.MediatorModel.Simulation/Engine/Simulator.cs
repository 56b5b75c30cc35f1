namespace BareMetal.MediatorModel.Simulation.Engine;

/// <summary>The discrete-event loop. Simulated time is a long count of nanoseconds: exact integer
/// arithmetic, so no floating-point drift can make two runs diverge.</summary>
internal sealed class Simulator
{
    private readonly EventQueue _queue = new();
    private long _sequence;

    public Simulator(ulong seed)
    {
        Random = new Xoshiro256(seed);
    }

    /// <summary>Current simulated time, ns.</summary>
    public long Now { get; private set; }

    public Xoshiro256 Random { get; }

    /// <summary>Events dispatched so far (the benchmark's unit).</summary>
    public long EventsRun { get; private set; }

    public int Pending => _queue.Count;

    public void At(long time, IEventHandler target, int kind, long arg = 0)
    {
        if (time < Now)
        {
            throw new InvalidOperationException($"event scheduled in the past: {time} < now {Now}");
        }

        _queue.Push(time, _sequence++, target, kind, arg);
    }

    public void After(long delay, IEventHandler target, int kind, long arg = 0) =>
        At(checked(Now + Math.Max(0, delay)), target, kind, arg);

    /// <summary>Runs until the queue is empty or the next event lies beyond <paramref name="until"/>.</summary>
    public void Run(long until = long.MaxValue)
    {
        while (_queue.TryPop(until, out var e))
        {
            Now = e.Time;
            EventsRun++;
            e.Target.OnEvent(e.Kind, e.Arg);
        }
    }

    /// <summary>Runs until <paramref name="done"/> holds or nothing is left (checked between events).</summary>
    public void RunUntil(Func<bool> done, long until = long.MaxValue)
    {
        while (!done() && _queue.TryPop(until, out var e))
        {
            Now = e.Time;
            EventsRun++;
            e.Target.OnEvent(e.Kind, e.Arg);
        }
    }
}
