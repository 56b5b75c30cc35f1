using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Guest;

namespace BareMetal.MediatorModel.Simulation.Strategies;

/// <summary>The classic deployment's installer: fetches the image chunk by chunk (the same request
/// size and pipelining as the VMM's copy) and writes each chunk with a plain AHCI driver while the
/// next one is on the wire.</summary>
internal sealed class Installer : IFetchSink, IBlockClient
{
    private readonly ImageServer _server;
    private readonly Link _nic;
    private readonly AhciGuestDriver _driver;
    private readonly long _imageBytes;
    private readonly long _chunkBytes;
    private readonly int _outstanding;
    private readonly Queue<long> _fetched = new();
    private readonly Action _done;
    private long _nextFetch;
    private int _inFlight;
    private int _writing;
    private long _written;
    private long _nextId = 1;

    public Installer(ImageServer server, Link nic, AhciGuestDriver driver, long imageBytes, long chunkBytes, int outstanding, Action done)
    {
        _server = server;
        _nic = nic;
        _driver = driver;
        _imageBytes = imageBytes;
        _chunkBytes = chunkBytes;
        _outstanding = outstanding;
        _done = done;
        driver.Client = this;
    }

    public void Start() => Fill();

    public void OnFetched(long tag)
    {
        _inFlight--;
        _fetched.Enqueue(tag);
        WriteNext();
        Fill();
    }

    public void OnComplete(in BlockRequest request, ReadOnlySpan<long> data)
    {
        _writing--;
        _written += request.Length;
        if (_written >= _imageBytes)
        {
            _done();
            return;
        }

        WriteNext();
        Fill();
    }

    private void Fill()
    {
        // Double buffering: at most `outstanding` fetches plus one chunk waiting for the disk.
        while (_inFlight < _outstanding && _inFlight + _fetched.Count + _writing <= _outstanding && _nextFetch < _imageBytes)
        {
            _inFlight++;
            _server.Fetch(_nic, Math.Min(_chunkBytes, _imageBytes - _nextFetch), this, _nextFetch);
            _nextFetch += _chunkBytes;
        }
    }

    private void WriteNext()
    {
        if (_writing > 0 || _fetched.Count == 0)
        {
            return;
        }

        var offset = _fetched.Dequeue();
        var length = (int)Math.Min(_chunkBytes, _imageBytes - offset);
        _writing++;

        // Content is not carried through here: the node stamps the disk with the image's tags when
        // the installer finishes (what a byte-exact copy leaves behind).
        _driver.Submit(new BlockRequest(_nextId++, true, offset, length, false, 0));
    }
}
