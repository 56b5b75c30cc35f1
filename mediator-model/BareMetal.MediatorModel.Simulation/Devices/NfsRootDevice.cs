using BareMetal.MediatorModel.Simulation.Guest;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>OS streaming with an NFS root: the guest's file reads become RPCs to the server, one at a
/// time per request: the metadata round trips of a file's first access, then READs of at most rsize.
/// Writes go to the server the same way (sync export).</summary>
internal sealed class NfsRootDevice : IBlockDevice, IFetchSink
{
    /// <summary>Bytes of a metadata reply (LOOKUP/GETATTR/ACCESS): small.</summary>
    private const int MetadataReplyBytes = 256;

    private readonly ImageServer _server;
    private readonly Link _nic;
    private readonly NfsSpec _spec;
    private readonly Queue<BlockRequest> _queue = new();
    private BlockRequest _current;
    private bool _busy;
    private int _metadataLeft;
    private long _dataLeft;

    public NfsRootDevice(ImageServer server, Link nic, NfsSpec spec)
    {
        _server = server;
        _nic = nic;
        _spec = spec;
    }

    public IBlockClient? Client { get; set; }

    public long Rpcs { get; private set; }

    public void Submit(in BlockRequest request)
    {
        _queue.Enqueue(request);
        if (!_busy)
        {
            StartNext();
        }
    }

    public void OnFetched(long tag)
    {
        if (_metadataLeft > 0)
        {
            _metadataLeft--;
        }
        else
        {
            _dataLeft -= Math.Min(_dataLeft, _spec.RsizeKiB * 1024L);
        }

        if (_metadataLeft > 0 || _dataLeft > 0)
        {
            SendRpc();
            return;
        }

        _busy = false;
        var done = _current;
        Client?.OnComplete(done, []);
        if (!_busy)
        {
            StartNext();
        }
    }

    private void StartNext()
    {
        if (_queue.Count == 0)
        {
            return;
        }

        _current = _queue.Dequeue();
        _busy = true;
        _metadataLeft = _current.FileOpen ? _spec.RoundTripsPerFile : 0;
        _dataLeft = _current.Length;
        SendRpc();
    }

    private void SendRpc()
    {
        Rpcs++;
        var bytes = _metadataLeft > 0 ? MetadataReplyBytes : Math.Min(_dataLeft, _spec.RsizeKiB * 1024L);
        _server.Fetch(_nic, bytes, this, 0);
    }
}
