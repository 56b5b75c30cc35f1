using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>The image server every node streams from: requests cross the node's link, wait for one
/// of the server's workers (first come first served), cost a service time each, and the reply crosses
/// the server's uplink (shared by all nodes) and the node's link, cut-through. Each request is booked
/// in full when it is sent, so one request is one event. With <c>server.link.sharing: fair</c> the uplink
/// is shared fairly among the replies in flight instead (<see cref="FairShareLink"/>): a reply joins it
/// when its service ends and is delivered when its last byte has crossed both links.</summary>
internal sealed class ImageServer : IEventHandler
{
    /// <summary>Bytes of a request message (protocol header) on the wire.</summary>
    public const int RequestBytes = 64;

    private readonly Simulator _sim;
    private readonly long _serviceNs;
    private readonly long[] _workerFree;
    private const int EventDeliver = 0;
    private const int EventJoinUplink = 1;

    private readonly List<(IFetchSink Sink, long Tag, Link? NodeLink, long Bytes)> _pending = [];
    private readonly FairShareLink? _fair;
    private readonly Stack<int> _free = new();

    public ImageServer(Simulator sim, ServerSpec spec)
    {
        _sim = sim;
        _serviceNs = (long)(spec.ServiceTimeUs * Time.Microsecond);
        _workerFree = new long[spec.Workers];
        Uplink = new Link(spec.Link);
        if (spec.Link.Sharing == "fair")
        {
            _fair = new FairShareLink(sim, spec.Link.PayloadBytesPerSecond, UplinkDone);
        }
    }

    /// <summary>Time the server's uplink carried at least one reply.</summary>
    public long UplinkBusyNs => _fair?.BusyNs ?? Uplink.BusyNs;

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
        if (_fair is not null)
        {
            _sim.At(served, this, EventJoinUplink, Park(sink, tag, nodeLink, bytes));
            return;
        }

        var upDone = Uplink.Reserve(served, bytes);
        var nodeDone = nodeLink.Reserve(upDone - Uplink.TransferNs(bytes), bytes);
        var delivered = Math.Max(upDone, nodeDone) + Uplink.LatencyNs;
        _sim.At(delivered, this, EventDeliver, Park(sink, tag, null, bytes));
    }

    public void OnEvent(int kind, long arg)
    {
        if (kind == EventJoinUplink)
        {
            _fair!.Add(arg, _pending[(int)arg].Bytes);
            return;
        }

        var (sink, tag, _, _) = _pending[(int)arg];
        _pending[(int)arg] = default;
        _free.Push((int)arg);
        sink.OnFetched(tag);
    }

    private int Park(IFetchSink sink, long tag, Link? nodeLink, long bytes)
    {
        int slot;
        if (_free.Count > 0)
        {
            slot = _free.Pop();
            _pending[slot] = (sink, tag, nodeLink, bytes);
        }
        else
        {
            slot = _pending.Count;
            _pending.Add((sink, tag, nodeLink, bytes));
        }

        return slot;
    }

    /// <summary>A reply's last byte left the fair-shared uplink; the node's link carried it alongside
    /// (cut-through), unless it was busy with an earlier reply.</summary>
    private void UplinkDone(long slot)
    {
        var (_, _, nodeLink, bytes) = _pending[(int)slot];
        var now = _sim.Now;
        var nodeDone = nodeLink!.Reserve(Math.Max(0, now - nodeLink.TransferNs(bytes)), bytes);
        _sim.At(Math.Max(now, nodeDone) + Uplink.LatencyNs, this, EventDeliver, slot);
    }
}
