using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Mediation;
using BareMetal.MediatorModel.Spec.Runtime;
using DecodedCommand = BareMetal.MediatorModel.Spec.Runtime.DecodedCommand;

namespace BareMetal.MediatorModel.Simulation.Generated;

/// <summary>Where a generated mediator's device keeps the data buffer of a command, and when the
/// command may run: the two device-specific facts the spec leaves to the host (NVMe: PRP1 of the
/// submission entry; IDE: the bus master's PRD, once the guest has started the bus master).</summary>
internal interface IDeviceBinding
{
    /// <summary>Guest-physical address of the command's (contiguous) data buffer.</summary>
    long DataAddress(IGeneratedMediator device, GuestMemory memory, DecodedCommand command);

    /// <summary>Whether the command may start now (IDE: only once the bus master is active).</summary>
    bool Ready(IGeneratedMediator device, DecodedCommand command);

    /// <summary>Bytes per logical block of the command's LBA and count.</summary>
    int BlockBytes { get; }
}

/// <summary>The device-independent host for any generated mediator (the NVMe and IDE specs): the
/// guest's register accesses are trapped into the generated class (one VM exit each), the commands it
/// decodes run on the simulated disk or, for reads of blocks not yet local, on the image server
/// (redirect), the background copy writes chunks only while the spec says
/// <see cref="IGeneratedMediator.CanMultiplex"/> and nothing of the guest's is held, and the handoff
/// happens once the copy is done, nothing is held or in flight and the spec's
/// <see cref="IGeneratedMediator.CanDevirtualize"/> holds. After the handoff the same register model
/// stands for the physical device: commands run on the local disk without exits. Commands run one at a
/// time in the order they were decoded (the mediator serializes the device).</summary>
internal sealed class GeneratedBlockHost : IEventHandler, IFetchSink
{
    private const int EventPump = 1;
    private const int EventGuestDone = 2;
    private const int EventCopyDone = 3;

    private const long TagRedirect = 1;
    private const long TagCopy = 2;

    private readonly Simulator _sim;
    private readonly IGeneratedMediator _device;
    private readonly IDeviceBinding _binding;
    private readonly GuestMemory _memory;
    private readonly DiskModel _disk;
    private readonly long[] _blocks;
    private readonly StreamingState _state;
    private readonly ImageServer _server;
    private readonly Link _nic;
    private readonly long _exitNs;
    private readonly Queue<DecodedCommand> _pending = new();
    private readonly List<DecodedCommand> _decoded = [];

    private DecodedCommand? _current;
    private bool _copyWriting;
    private bool _fetching;
    private long _fetchedChunk = -1;
    private long _nextChunk;
    private long _chunksDone;

    public GeneratedBlockHost(Simulator sim, IGeneratedMediator device, IDeviceBinding binding, GuestMemory memory, DiskModel disk, long[] blocks, StreamingState state, ImageServer server, Link nic, long exitNs)
    {
        ArgumentNullException.ThrowIfNull(device);
        _sim = sim;
        _device = device;
        _binding = binding;
        _memory = memory;
        _disk = disk;
        _blocks = blocks;
        _state = state;
        _server = server;
        _nic = nic;
        _exitNs = exitNs;
        device.CommandDecoded += (_, c) => _decoded.Add(c);
        device.InterruptRaised += (_, _) => Interrupts?.OnInterrupt();
    }

    public IGeneratedMediator Device => _device;

    public IInterruptSink? Interrupts { get; set; }

    public bool Devirtualized { get; private set; }

    public bool CopyComplete => _chunksDone == _state.Chunks;

    /// <summary>What held when the handoff happened (null before).</summary>
    public HandoffRecord? Handoff { get; private set; }

    public long Exits { get; private set; }

    public long Redirected { get; private set; }

    public long Commands { get; private set; }

    /// <summary>Reads after the handoff that found blocks not local: must stay 0.</summary>
    public long ReadsOfMissingBlocksAfterHandoff { get; private set; }

    /// <summary>Fault injection for tests: the copy overwrites blocks the guest wrote. Never set outside tests.</summary>
    public bool FaultCopyIgnoresGuestWrites { get; init; }

    public void Start() => Pump();

    public ulong Read(int offset, int width)
    {
        if (!Devirtualized)
        {
            Exits++;
        }

        return _device.ReadRegister(offset, width);
    }

    public void Write(int offset, int width, ulong value)
    {
        if (!Devirtualized)
        {
            Exits++;
        }

        _device.WriteRegister(offset, width, value);
        foreach (var c in _decoded)
        {
            _pending.Enqueue(c);
        }

        _decoded.Clear();

        // A doorbell, or the bus-master start an IDE command waits for: look again once the exit is paid.
        _sim.After(Devirtualized ? 0 : _exitNs, this, EventPump);
    }

    public void OnEvent(int kind, long arg)
    {
        switch (kind)
        {
            case EventPump:
                Pump();
                break;
            case EventGuestDone:
                GuestDone();
                break;
            case EventCopyDone:
                CopyDone();
                break;
            default:
                break;
        }
    }

    public void OnFetched(long tag)
    {
        if (tag == TagRedirect)
        {
            RedirectFetched();
        }
        else
        {
            _fetching = false;
            _fetchedChunk = _nextChunk++;
            Pump();
        }
    }

    private void Pump()
    {
        if (_current is not null || _copyWriting)
        {
            return;
        }

        if (_pending.Count > 0)
        {
            if (_binding.Ready(_device, _pending.Peek()))
            {
                StartGuest(_pending.Dequeue());
            }

            return;
        }

        if (Devirtualized)
        {
            return;
        }

        if (_fetchedChunk >= 0 && _device.CanMultiplex)
        {
            StartCopyWrite();
            return;
        }

        if (!_fetching && _fetchedChunk < 0 && _nextChunk < _state.Chunks)
        {
            var (_, count) = _state.ChunkRange(_nextChunk);
            _fetching = true;
            _server.Fetch(_nic, count * GuestMemory.PageBytes, this, TagCopy);
            return;
        }

        if (CopyComplete && !_fetching && _device.CanDevirtualize)
        {
            Handoff = new HandoffRecord(_sim.Now, _device.AtSafePoint, _pending.Count, _current is not null, _fetching, CopyComplete);
            Devirtualized = true;
        }
    }

    private (long First, long Count) Range(DecodedCommand c)
    {
        var bytes = (long)c.Count * _binding.BlockBytes;
        var offset = (long)c.Lba * _binding.BlockBytes;
        if (offset % GuestMemory.PageBytes != 0 || bytes % GuestMemory.PageBytes != 0 || offset / GuestMemory.PageBytes + (bytes / GuestMemory.PageBytes) > _blocks.Length)
        {
            throw new AhciProtocolException($"{c}: the host tracks whole 4 KiB blocks inside the disk");
        }

        return (offset / GuestMemory.PageBytes, bytes / GuestMemory.PageBytes);
    }

    private void StartGuest(DecodedCommand c)
    {
        _current = c;
        Commands++;
        if (c.Kind is not (CommandKind.Read or CommandKind.Write))
        {
            _sim.After(0, this, EventGuestDone);
            return;
        }

        var (first, count) = Range(c);
        var write = c.Kind == CommandKind.Write;
        if (write)
        {
            _state.GuestWritten.SetRange(first, count);
        }

        if (!write && !_state.AllLocal(first, count))
        {
            if (Devirtualized)
            {
                ReadsOfMissingBlocksAfterHandoff++;
            }
            else if (_device.ShouldRedirect(c.Kind))
            {
                Redirected++;
                _server.Fetch(_nic, count * GuestMemory.PageBytes, this, TagRedirect);
                return;
            }
        }

        _sim.After(_disk.Access(write, first * GuestMemory.PageBytes, count * GuestMemory.PageBytes), this, EventGuestDone);
    }

    private void RedirectFetched()
    {
        // The image's blocks, except those the guest wrote (newer, on the disk): read the range locally too.
        var c = _current!;
        var (first, count) = Range(c);
        var pages = GuestPages(c, count);
        for (var i = 0; i < count; i++)
        {
            pages[i] = _state.GuestWritten.Get(first + i) ? _blocks[first + i] : ImageServer.ImageTag(first + i);
        }

        var merge = _state.GuestWritten.AnySet(first, count) ? _disk.Access(false, first * GuestMemory.PageBytes, count * GuestMemory.PageBytes) : 0;
        _sim.After(merge, this, EventGuestDone);
    }

    private void GuestDone()
    {
        var c = _current!;
        if (c.Kind is CommandKind.Read or CommandKind.Write)
        {
            var (first, count) = Range(c);
            var pages = GuestPages(c, count);
            var disk = _blocks.AsSpan((int)first, (int)count);
            if (c.Kind == CommandKind.Write)
            {
                pages.CopyTo(disk);
            }
            else if (_state.AllLocal(first, count))
            {
                disk.CopyTo(pages);
            }
        }

        _current = null;
        _device.Complete(c);
        Pump();
    }

    private Span<long> GuestPages(DecodedCommand c, long count) =>
        _memory.Pages(_binding.DataAddress(_device, _memory, c), (int)count);

    private void StartCopyWrite()
    {
        var (first, count) = _state.ChunkRange(_fetchedChunk);
        var copied = 0L;
        for (var b = first; b < first + count; b++)
        {
            if (FaultCopyIgnoresGuestWrites || !_state.GuestWritten.Get(b))
            {
                _blocks[b] = ImageServer.ImageTag(b);
                copied++;
            }
        }

        _copyWriting = true;
        _sim.After(copied == 0 ? 0 : _disk.Access(true, first * GuestMemory.PageBytes, count * GuestMemory.PageBytes), this, EventCopyDone);
    }

    private void CopyDone()
    {
        var (first, count) = _state.ChunkRange(_fetchedChunk);
        for (var b = first; b < first + count; b++)
        {
            if (!_state.GuestWritten.Get(b))
            {
                _state.Copied.SetRange(b, 1);
            }
        }

        _fetchedChunk = -1;
        _chunksDone++;
        _copyWriting = false;
        Pump();
    }
}

/// <summary>The state at the handoff: the spec's safe point, guest commands held, one running, a fetch in flight, copy done.</summary>
internal readonly record struct HandoffRecord(long Time, bool SpecSafePoint, int Held, bool Running, bool Fetching, bool CopyComplete);
