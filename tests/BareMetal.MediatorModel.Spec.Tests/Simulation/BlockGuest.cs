using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Generated;

namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>What the NVMe and IDE guest drivers share: a seeded random workload of 4 KiB-aligned reads
/// and writes (never one overlapping an outstanding write), the expected content of every block, and
/// the checks: every read returns the latest data (no stale I/O), every request completes exactly
/// once (no lost or duplicated I/O).</summary>
internal abstract class BlockGuest : IInterruptSink, IEventHandler
{
    private readonly Dictionary<int, Request> _outstanding = [];
    private long _version;

    protected BlockGuest(Simulator sim, GuestMemory memory, GeneratedBlockHost host, int seed, long blocks, int requests, int maxBlocks)
    {
        Sim = sim;
        Memory = memory;
        Host = host;
        Rng = new Random(seed);
        Blocks = blocks;
        Requests = requests;
        MaxBlocks = maxBlocks;
        Expected = new long[blocks];
        for (var b = 0; b < blocks; b++)
        {
            Expected[b] = ImageServer.ImageTag(b);
        }
    }

    protected Simulator Sim { get; }

    protected GuestMemory Memory { get; }

    protected GeneratedBlockHost Host { get; }

    protected Random Rng { get; }

    protected long Blocks { get; }

    protected int Requests { get; }

    protected int MaxBlocks { get; }

    public long[] Expected { get; }

    public int Issued { get; private set; }

    public int Completed { get; private set; }

    public int Stale { get; private set; }

    public List<string> Problems { get; } = [];

    public int Outstanding => _outstanding.Count;

    protected bool IsOutstanding(int slot) => _outstanding.ContainsKey(slot);

    public abstract void Start();

    public abstract void OnInterrupt();

    public abstract void OnEvent(int kind, long arg);

    protected long Think() => Rng.Next(3) == 0 ? 0 : Rng.Next(1, 2_000_000);

    /// <summary>A new random request in buffer <paramref name="slot"/>, or null when the drawn range
    /// would overlap an outstanding write (the guest waits instead).</summary>
    protected Request? NewRequest(int slot)
    {
        var write = Rng.Next(2) == 0;
        var count = 1 + Rng.Next(MaxBlocks);
        var first = Rng.NextInt64(Blocks - count + 1);
        foreach (var o in _outstanding.Values)
        {
            if ((write || o.Write) && first < o.First + o.Count && o.First < first + count)
            {
                return null;
            }
        }

        var r = new Request(slot, write, first, count, ++_version);
        if (write)
        {
            var pages = Memory.Pages(GuestMemory.GuestBuffer(slot), count);
            for (var i = 0; i < count; i++)
            {
                pages[i] = -((r.Version << 8) + i);
            }
        }

        _outstanding.Add(slot, r);
        Issued++;
        return r;
    }

    protected void Finish(int slot)
    {
        if (!_outstanding.Remove(slot, out var r))
        {
            Problems.Add(FormattableString.Invariant($"t={Sim.Now}: completion for slot {slot} with nothing outstanding (duplicate)"));
            return;
        }

        Completed++;
        var pages = Memory.Pages(GuestMemory.GuestBuffer(slot), r.Count);
        for (var i = 0; i < r.Count; i++)
        {
            if (r.Write)
            {
                Expected[r.First + i] = pages[i];
            }
            else if (pages[i] != Expected[r.First + i])
            {
                Stale++;
                Problems.Add(FormattableString.Invariant($"t={Sim.Now}: read of block {r.First + i} returned {pages[i]}, expected {Expected[r.First + i]}"));
            }
        }
    }

    protected sealed record Request(int Slot, bool Write, long First, int Count, long Version);
}
