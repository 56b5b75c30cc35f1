namespace BareMetal.MediatorModel.Simulation.Engine;

/// <summary>One event as dispatched. (Time, Sequence) is the total order: equal times run in
/// scheduling order, which keeps runs bit-identical whatever the heap's internal layout.</summary>
internal readonly record struct SimEvent(long Time, long Sequence, IEventHandler Target, int Kind, long Arg);
