using BareMetal.MediatorModel.Simulation.Engine;

namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>One direction of a link shared fairly (processor sharing, as TCP flows roughly share a
/// bottleneck): n active transfers each get 1/n of the payload rate. Kept in virtual time, the bytes
/// every active flow has received: a flow that joins at virtual time V with b bytes leaves at V + b,
/// so flows leave in the order of those tags and only the next departure needs an event. An event made
/// stale by a join or departure carries an old generation and is ignored.</summary>
internal sealed class FairShareLink : IEventHandler
{
    private readonly Simulator _sim;
    private readonly double _bytesPerNs;
    private readonly Action<long> _done;
    private readonly PriorityQueue<long, (double Finish, long Order)> _flows = new();
    private double _virtual;
    private long _lastUpdate;
    private long _generation;
    private long _order;

    /// <param name="done">Called with the flow's id when its last byte has left.</param>
    public FairShareLink(Simulator sim, double payloadBytesPerSecond, Action<long> done)
    {
        _sim = sim;
        _bytesPerNs = payloadBytesPerSecond / 1e9;
        _done = done;
    }

    public int Active => _flows.Count;

    public long BytesCarried { get; private set; }

    /// <summary>Time with at least one transfer active.</summary>
    public long BusyNs { get; private set; }

    /// <summary>Starts a transfer of <paramref name="bytes"/> now.</summary>
    public void Add(long id, long bytes)
    {
        Advance();
        _flows.Enqueue(id, (_virtual + bytes, _order++));
        BytesCarried += bytes;
        Reschedule();
    }

    public void OnEvent(int kind, long arg)
    {
        if (arg != _generation)
        {
            return;
        }

        Advance();

        // Half a byte of slack: virtual time is a double and the event time was rounded up to a ns.
        while (_flows.TryPeek(out var id, out var p) && p.Finish <= _virtual + 0.5)
        {
            _flows.Dequeue();
            _done(id);
        }

        Reschedule();
    }

    private void Advance()
    {
        var now = _sim.Now;
        if (_flows.Count > 0)
        {
            _virtual += (now - _lastUpdate) * _bytesPerNs / _flows.Count;
            BusyNs += now - _lastUpdate;
        }

        _lastUpdate = now;
    }

    private void Reschedule()
    {
        _generation++;
        if (!_flows.TryPeek(out _, out var next))
        {
            return;
        }

        var remaining = Math.Max(0, next.Finish - _virtual);
        _sim.After((long)Math.Ceiling(remaining * _flows.Count / _bytesPerNs), this, 0, _generation);
    }
}
