using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Guest;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>A KVM guest's emulated disk: each request traps to QEMU (exits per I/O), QEMU copies the
/// data through its buffers, then reads or writes the backing image: a file on the NFS-mounted image
/// server (VM streaming) or the local disk (KVM/local). One request at a time, in order.</summary>
internal sealed class KvmDisk : IBlockDevice, IEventHandler, IFetchSink
{
    private readonly Simulator _sim;
    private readonly KvmSpec _spec;
    private readonly ImageServer? _server;
    private readonly Link? _nic;
    private readonly long _rsize;
    private readonly DirectDisk? _local;
    private readonly Queue<BlockRequest> _queue = new();
    private BlockRequest _current;
    private bool _busy;
    private long _left;

    /// <summary>VM streaming: the image is a file on NFS.</summary>
    public KvmDisk(Simulator sim, KvmSpec spec, ImageServer server, Link nic, NfsSpec nfs)
    {
        _sim = sim;
        _spec = spec;
        _server = server;
        _nic = nic;
        _rsize = nfs.RsizeKiB * 1024L;
    }

    /// <summary>KVM/local: the image is on the local disk.</summary>
    public KvmDisk(Simulator sim, KvmSpec spec, DirectDisk local)
    {
        _sim = sim;
        _spec = spec;
        _local = local;
    }

    public IBlockClient? Client { get; set; }

    public void Submit(in BlockRequest request)
    {
        _queue.Enqueue(request);
        if (!_busy)
        {
            StartNext();
        }
    }

    /// <summary>Emulation done: go to the backing store.</summary>
    public void OnEvent(int kind, long arg)
    {
        if (_local is not null)
        {
            _local.Submit(_current.Write, _current.Offset, _current.Length, Finish);
            return;
        }

        _left = _current.Length;
        _server!.Fetch(_nic!, Math.Min(_left, _rsize), this, 0);
    }

    public void OnFetched(long tag)
    {
        _left -= Math.Min(_left, _rsize);
        if (_left > 0)
        {
            _server!.Fetch(_nic!, Math.Min(_left, _rsize), this, 0);
            return;
        }

        Finish();
    }

    private void Finish()
    {
        _busy = false;
        Client?.OnComplete(_current, []);
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
        var emulation = (long)(_spec.ExitsPerIo * _spec.ExitUs * Time.Microsecond) + Time.Transfer(_current.Length, _spec.CopyGBps * 1e9);
        _sim.After(emulation, this, 0);
    }
}
