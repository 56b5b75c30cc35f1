using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>The image server every node streams from: requests cross the node's link, wait for one
/// of the server's workers (first come first served), cost a service time each, and the reply crosses
/// the server's uplink (shared by all nodes) and the node's link, cut-through. Each request is booked
/// in full when it is sent, so one request is one event.</summary>
internal sealed class ImageServer : IEventHandler
{
    /// <summary>Bytes of a request message (protocol header) on the wire.</summary>
    public const int RequestBytes = 64;

    private readonly Simulator _sim;
    private readonly long _serviceNs;
    private readonly long[] _workerFree;
    private readonly List<(IFetchSink Sink, long Tag)> _pending = [];
    private readonly Stack<int> _free = new();

    public ImageServer(Simulator sim, ServerSpec spec)
    {
        _sim = sim;
        _serviceNs = (long)(spec.ServiceTimeUs * Time.Microsecond);
        _workerFree = new long[spec.Workers];
        Uplink = new Link(spec.Link);
    }

    public Link Uplink { get; }

    public long Requests { get; private set; }

    /// <summary>Content of image block <paramref name="block"/> (4 KiB): never 0, so a block that was
    /// never filled (tag 0) can never pass for image data.</summary>
    public static long ImageTag(long block) => block + 1;

    /// <summary>Asks for <paramref name="bytes"/> over <paramref name="nodeLink"/>; the sink hears back
    /// with <paramref name="tag"/> when the last byte has arrived.</summary>
    public void Fetch(Link nodeLink, long bytes, IFetchSink sink, long tag)
    {
        Requests++;
        var arrive = _sim.Now + nodeLink.LatencyNs + nodeLink.TransferNs(RequestBytes);
        var worker = 0;
        for (var i = 1; i < _workerFree.Length; i++)
        {
            if (_workerFree[i] < _workerFree[worker])
            {
                worker = i;
            }
        }

        var served = Math.Max(arrive, _workerFree[worker]) + _serviceNs;
        _workerFree[worker] = served;
        var upDone = Uplink.Reserve(served, bytes);
        var nodeDone = nodeLink.Reserve(upDone - Uplink.TransferNs(bytes), bytes);
        var delivered = Math.Max(upDone, nodeDone) + Uplink.LatencyNs;
        int slot;
        if (_free.Count > 0)
        {
            slot = _free.Pop();
            _pending[slot] = (sink, tag);
        }
        else
        {
            slot = _pending.Count;
            _pending.Add((sink, tag));
        }

        _sim.At(delivered, this, 0, slot);
    }

    public void OnEvent(int kind, long arg)
    {
        var (sink, tag) = _pending[(int)arg];
        _pending[(int)arg] = default;
        _free.Push((int)arg);
        sink.OnFetched(tag);
    }
}
