namespace BareMetal.MediatorModel.Simulation.Engine;

/// <summary>One pending event. A struct so the heap is a flat array: no allocation per event.
/// (Time, Sequence) is the total order: equal times run in scheduling order, which keeps runs
/// bit-identical whatever the heap's internal layout.</summary>
internal readonly record struct SimEvent(long Time, long Sequence, IEventHandler Target, int Kind, long Arg)
{
    public bool RunsBefore(in SimEvent other) =>
        Time < other.Time || (Time == other.Time && Sequence < other.Sequence);
}
