using BareMetal.MediatorModel.Simulation.Engine;

namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>A disk used by a host OS's own driver (KVM's host), first come first served.</summary>
internal sealed class DirectDisk : IEventHandler
{
    private readonly Simulator _sim;
    private readonly DiskModel _disk;
    private readonly Queue<(bool Write, long Offset, long Length, Action Done)> _queue = new();
    private Action? _current;

    public DirectDisk(Simulator sim, DiskModel disk)
    {
        _sim = sim;
        _disk = disk;
    }

    public void Submit(bool write, long offset, long length, Action done)
    {
        _queue.Enqueue((write, offset, length, done));
        if (_current is null)
        {
            StartNext();
        }
    }

    public void OnEvent(int kind, long arg)
    {
        var done = _current!;
        _current = null;
        StartNext();
        done();
    }

    private void StartNext()
    {
        if (_queue.Count == 0)
        {
            return;
        }

        var (write, offset, length, done) = _queue.Dequeue();
        _current = done;
        _sim.After(_disk.Access(write, offset, length), this, 0);
    }
}
