using BareMetal.MediatorModel.Simulation.Engine;
using BenchmarkDotNet.Attributes;

namespace BareMetal.Benchmarks;

/// <summary>Raw discrete-event engine throughput: a ring of handlers that each reschedule themselves
/// at a random delay, so the heap holds <see cref="Pending"/> events throughout.
/// Events per second = EventsPerOp / mean time. Run:
/// dotnet run -c Release --project tests/BareMetal.Benchmarks -- --filter '*SimEngine*'</summary>
[MemoryDiagnoser]
public class SimEngineBenchmarks
{
    public const int EventsPerOp = 1_000_000;

    [Params(16, 1024, 16384)]
    public int Pending { get; set; }

    [Benchmark(OperationsPerInvoke = EventsPerOp)]
    public long Dispatch()
    {
        var sim = new Simulator(1);
        var handler = new Rescheduler(sim, EventsPerOp);
        for (var i = 0; i < Pending; i++)
        {
            sim.At(i, handler, 0, i);
        }

        sim.Run();
        return sim.EventsRun;
    }

    private sealed class Rescheduler(Simulator sim, long budget) : IEventHandler
    {
        private long _left = budget;

        public void OnEvent(int kind, long arg)
        {
            if (--_left > 0)
            {
                sim.After(1 + sim.Random.NextInt64(1000), this, kind, arg);
            }
        }
    }
}
