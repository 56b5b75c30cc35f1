using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;

namespace BareMetal.MediatorModel.Simulation.Mediation;

/// <summary>The AHCI device mediator of the de-virtualizable VMM (after BitVisor's
/// drivers/ata/ahci.c). The guest sees shadow port registers; the physical port runs the VMM's own
/// command list. On a PxCI write the mediator fetches the guest's command header and FIS from guest
/// memory and decodes it (I/O interpretation); reads of blocks not yet local go to the image server and
/// their completion is emulated (I/O redirection); the background copy's writes go to the disk only
/// when the guest has nothing issued (PxCI = PxSACT = 0), and guest commands that arrive meanwhile
/// are held with their PxCI bits set, so the device looks busy (I/O multiplexing). When the copy is
/// done it waits for a safe point and hands the physical port back (de-virtualization).</summary>
internal sealed class AhciMediator : Generated.IStreamingMediator, IEventHandler, IFetchSink
{
    private const int EventPump = 1;
    private const int EventGuestComplete = 2;
    private const int EventCacheServed = 3;

    private const long TagRedirect = 1L << 48;
    private const long TagCopy = 2L << 48;
    private const long TagPrefetch = 3L << 48;
    private const long TagValueMask = (1L << 48) - 1;

    /// <summary>Physical slot the mediator issues everything through (it serializes the port).</summary>
    private const int PhysSlot = 0;

    private readonly Simulator _sim;
    private readonly AhciHba _hba;
    private readonly GuestMemory _memory;
    private readonly ImageServer _server;
    private readonly Link _nic;
    private readonly StreamingState _state;
    private readonly MediatorOptions _options;
    private readonly Queue<(DecodedCommand Command, long Ready)> _pending = new();
    private readonly Queue<(long Chunk, int Buffer)> _buffered = new();
    private readonly Stack<int> _freeBuffers = new();
    private readonly int _mergeBuffer;

    // Guest-visible shadow registers.
    private uint _gClb, _gFb, _gIs, _gIe, _gCmd, _gSact, _gCi;

    private Op _op;
    private DecodedCommand _guestCmd;
    private bool _redirectNeedsMerge;
    private (long Chunk, int Buffer) _copyChunk;
    private long _copyRunStart;
    private long _copyRunNext;
    private long _nextFetchChunk;
    private int _fetchesInFlight;
    private long _chunksDone;
    private int _nextPrefetch;
    private bool _prefetching;
    private long _guestReads;
    private long _lastGuestActivity;

    public AhciMediator(Simulator sim, AhciHba hba, GuestMemory memory, ImageServer server, Link nic, StreamingState state, MediatorOptions options)
    {
        _sim = sim;
        _hba = hba;
        _memory = memory;
        _server = server;
        _nic = nic;
        _state = state;
        _options = options;
        for (var i = options.CopyOutstanding; i >= 0; i--)
        {
            _freeBuffers.Push(i);
        }

        _mergeBuffer = options.CopyOutstanding + 1;
        hba.Interrupts = this;
        hba.Write(AhciReg.PxClb, GuestMemory.VmmClb);
        hba.Write(AhciReg.PxFb, GuestMemory.VmmFb);
        hba.Write(AhciReg.PxIe, AhciBits.IsDhrs | AhciBits.IsSdbs);
        hba.Write(AhciReg.PxCmd, AhciBits.CmdSt | AhciBits.CmdFre);
    }

    private enum Op
    {
        None,
        GuestPassThrough,
        GuestRedirectFetch,
        GuestRedirectMerge,
        CopyWrite,
    }

    /// <summary>VMM buffers a mediator with <paramref name="copyOutstanding"/> needs.</summary>
    public static int BuffersNeeded(int copyOutstanding) => copyOutstanding + 2;

    public bool Devirtualized { get; private set; }

    public bool CopyComplete => _chunksDone == _state.Chunks;

    public long CopyCompleteTime { get; private set; } = -1;

    public SafePointRecord? SafePoint { get; private set; }

    /// <summary>Raised once the physical port is handed back; the VMM switches the guest's driver to it.</summary>
    public Action? OnDevirtualized { get; set; }

    /// <summary>Trapped guest accesses, redirected reads, reads served from the prefetch cache.</summary>
    public long Exits { get; private set; }

    public long Redirected { get; private set; }

    public long CacheServed { get; private set; }

    public long HeldCommands { get; private set; }

    /// <summary>Copy writes started while the guest had a command issued (PxCI or PxSACT not 0):
    /// BitVisor's multiplexing rule says never, so anything but 0 is a model bug (the property tests check).</summary>
    public long CopyWritesWhileGuestOutstanding { get; private set; }

    public long CopyWrites { get; private set; }

    public bool AtSafePoint =>
        _gCi == 0 && _gSact == 0 && _pending.Count == 0 && _op == Op.None && !_hba.Busy && _fetchesInFlight == 0 && !_prefetching;

    /// <summary>Starts the prefetch and the background copy; called when the VMM has booted.</summary>
    public void Start()
    {
        _prefetching = _options.Prefetch.Count > 0;
        if (_prefetching)
        {
            FetchNextPrefetch();
        }
        else
        {
            FillCopyPipeline();
        }

        Pump();
    }

    public uint Read(AhciReg register)
    {
        EnsureIntercepting();
        Exits++;
        return register switch
        {
            AhciReg.PxClb => _gClb,
            AhciReg.PxFb => _gFb,
            AhciReg.PxIs => _gIs,
            AhciReg.PxIe => _gIe,
            AhciReg.PxCmd => AhciBits.CmdAsRead(_gCmd),
            AhciReg.PxTfd => (_gCi | _gSact) != 0 ? AhciBits.TfdBusy : AhciBits.TfdReady,
            AhciReg.PxSact => _gSact,
            AhciReg.PxCi => _gCi,
            _ => 0,
        };
    }

    public void Write(AhciReg register, uint value)
    {
        EnsureIntercepting();
        Exits++;
        switch (register)
        {
            case AhciReg.PxClb:
                _gClb = value;
                break;
            case AhciReg.PxFb:
                _gFb = value;
                break;
            case AhciReg.PxIs:
                _gIs &= ~value;
                break;
            case AhciReg.PxIe:
                _gIe = value;
                break;
            case AhciReg.PxCmd:
                _gCmd = value;
                break;
            case AhciReg.PxSact:
                _gSact |= value;
                break;
            case AhciReg.PxCi:
                IssueFromGuest(value & ~_gCi);
                break;
            default:
                break;
        }
    }

    /// <summary>The physical port's interrupt: always ours while virtualized (PxIE is the VMM's).</summary>
    public void OnInterrupt()
    {
        var status = _hba.Read(AhciReg.PxIs);
        _hba.Write(AhciReg.PxIs, status);
        if ((_hba.Read(AhciReg.PxCi) & (1u << PhysSlot)) != 0)
        {
            return; // not our command's completion
        }

        switch (_op)
        {
            case Op.GuestPassThrough:
                _sim.After(_options.ExitNs * _options.CompletionExits, this, EventGuestComplete);
                break;
            case Op.GuestRedirectMerge:
                MergeGuestWrittenBlocks();
                _sim.After(_options.ExitNs * _options.CompletionExits, this, EventGuestComplete);
                break;
            case Op.CopyWrite:
                CopyRunWritten();
                break;
            default:
                throw new InvalidOperationException($"physical completion with no mediator command in flight ({_op})");
        }
    }

    public void OnFetched(long tag)
    {
        var value = tag & TagValueMask;
        switch (tag & ~TagValueMask)
        {
            case TagRedirect:
                RedirectFetched();
                break;
            case TagCopy:
                CopyFetched(value);
                break;
            case TagPrefetch:
                PrefetchFetched((int)value);
                break;
            default:
                throw new InvalidOperationException($"unknown fetch tag {tag:X}");
        }
    }

    public void OnEvent(int kind, long arg)
    {
        switch (kind)
        {
            case EventPump:
                Pump();
                break;
            case EventGuestComplete:
                CompleteToGuest();
                break;
            case EventCacheServed:
                RedirectFetched();
                break;
            default:
                break;
        }
    }

    public void Devirtualize()
    {
        if (!AtSafePoint || !CopyComplete)
        {
            throw new InvalidOperationException("de-virtualization outside a safe point");
        }

        SafePoint = new SafePointRecord(_sim.Now, _gCi, _gSact, _pending.Count, _hba.Busy, _fetchesInFlight, CopyComplete);

        // Stop intercepting: the physical port takes the guest's structures and interrupt mask, and
        // keeps none of the bits our own commands raised.
        _hba.Write(AhciReg.PxIs, uint.MaxValue);
        _hba.Write(AhciReg.PxClb, _gClb);
        _hba.Write(AhciReg.PxFb, _gFb);
        _hba.Write(AhciReg.PxIe, _gIe);
        _hba.Write(AhciReg.PxCmd, _gCmd);
        Devirtualized = true;
        OnDevirtualized?.Invoke();
    }

    private void EnsureIntercepting()
    {
        if (Devirtualized)
        {
            throw new InvalidOperationException("guest access reached the mediator after de-virtualization");
        }
    }

    private void IssueFromGuest(uint newSlots)
    {
        _gCi |= newSlots;
        for (var slot = 0; slot < AhciBits.Slots; slot++)
        {
            if ((newSlots & (1u << slot)) != 0)
            {
                // Decoded now, acted on once the exit that trapped the PxCI write has been paid.
                _pending.Enqueue((CommandTable.Fetch(_memory, _gClb, slot), _sim.Now + _options.ExitNs));
                if (_op != Op.None)
                {
                    HeldCommands++;
                }
            }
        }

        _lastGuestActivity = _sim.Now;
        _sim.After(_options.ExitNs, this, EventPump);
    }

    /// <summary>Starts the next piece of work if the port is free: guest commands first, then a copy
    /// write when the guest has nothing issued, then de-virtualization once the copy is done.</summary>
    private void Pump()
    {
        if (Devirtualized || _op != Op.None)
        {
            return;
        }

        if (_pending.Count > 0)
        {
            if (_pending.Peek().Ready <= _sim.Now)
            {
                StartGuest(_pending.Dequeue().Command);
            }

            return;
        }

        if (_gCi == 0 && _gSact == 0 && _buffered.Count > 0 && CopyAllowed())
        {
            StartCopyWrite();
            return;
        }

        if (CopyComplete && AtSafePoint)
        {
            Devirtualize();
        }
    }

    private bool CopyAllowed()
    {
        if (_options.IdleGapNs == 0 || _guestReads >= _options.AdaptiveReads)
        {
            return true;
        }

        var idleFor = _sim.Now - _lastGuestActivity;
        if (idleFor >= _options.IdleGapNs)
        {
            return true;
        }

        _sim.After(_options.IdleGapNs - idleFor, this, EventPump);
        return false;
    }

    private void StartGuest(in DecodedCommand cmd)
    {
        _guestCmd = cmd;
        var fis = cmd.Fis;
        if (!fis.IsReadOrWrite)
        {
            PassThrough(cmd);
            return;
        }

        var (first, count) = BlockRange(cmd);
        if (fis.IsWrite)
        {
            // Marked before the write reaches the disk: from here on no copy may touch these blocks.
            _state.GuestWritten.SetRange(first, count);
            PassThrough(cmd);
            return;
        }

        _guestReads++;
        if (_state.AllLocal(first, count))
        {
            PassThrough(cmd);
            return;
        }

        _op = Op.GuestRedirectFetch;
        _redirectNeedsMerge = _state.GuestWritten.AnySet(first, count);
        if (_state.AllLocalOrCached(first, count))
        {
            CacheServed++;
            _sim.After(Time.Transfer(cmd.Bytes, _options.MemoryCopyBytesPerSecond), this, EventCacheServed);
        }
        else
        {
            Redirected++;
            _options.Real?.BeginRedirect(cmd.Offset, cmd.Bytes);
            _server.Fetch(_nic, cmd.Bytes, this, TagRedirect);
        }
    }

    private void PassThrough(in DecodedCommand cmd)
    {
        _op = Op.GuestPassThrough;
        IssuePhysical(cmd.Fis, cmd.Buffer, (int)cmd.Bytes);
    }

    private void IssuePhysical(CommandFis fis, long buffer, int bytes)
    {
        // The shadow command list holds non-queued commands only: the mediator keeps one in flight.
        var command = fis.Command switch
        {
            AtaCommand.ReadFpdmaQueued => AtaCommand.ReadDmaExt,
            AtaCommand.WriteFpdmaQueued => AtaCommand.WriteDmaExt,
            var c => c,
        };
        CommandTable.Build(_memory, GuestMemory.VmmClb, GuestMemory.VmmTables, PhysSlot, fis with { Command = command, Tag = 0 }, buffer, bytes);
        _hba.Write(AhciReg.PxCi, 1u << PhysSlot);
    }

    private void RedirectFetched()
    {
        _options.Real?.EndRedirect();
        var cmd = _guestCmd;
        var (first, count) = BlockRange(cmd);
        if (_memory.TracksContents)
        {
            var pages = _memory.Pages(cmd.Buffer, (int)count);
            for (var i = 0; i < count; i++)
            {
                pages[i] = ImageServer.ImageTag(first + i);
            }
        }

        if (_redirectNeedsMerge)
        {
            // Some blocks hold the guest's own writes, newer than the image: read the range locally
            // too and take those blocks from the disk.
            _op = Op.GuestRedirectMerge;
            IssuePhysical(cmd.Fis with { Command = AtaCommand.ReadDmaExt }, GuestMemory.VmmBuffer(_mergeBuffer), (int)cmd.Bytes);
            return;
        }

        _sim.After(_options.ExitNs * _options.CompletionExits, this, EventGuestComplete);
    }

    private void MergeGuestWrittenBlocks()
    {
        if (!_memory.TracksContents)
        {
            return;
        }

        var cmd = _guestCmd;
        var (first, count) = BlockRange(cmd);
        var local = _memory.Pages(GuestMemory.VmmBuffer(_mergeBuffer), (int)count);
        var guest = _memory.Pages(cmd.Buffer, (int)count);
        for (var i = 0; i < count; i++)
        {
            if (_state.GuestWritten.Get(first + i))
            {
                guest[i] = local[i];
            }
        }
    }

    /// <summary>Emulates the completion the guest expects: clear its PxCI (and PxSACT) bit, post the
    /// D2H FIS in the guest's receive area, raise PxIS and, if the guest enabled it, the interrupt.</summary>
    private void CompleteToGuest()
    {
        var cmd = _guestCmd;
        var bit = 1u << cmd.Slot;
        _gCi &= ~bit;
        if (cmd.Fis.IsQueued)
        {
            _gSact &= ~bit;
            _gIs |= AhciBits.IsSdbs;
        }
        else
        {
            _gIs |= AhciBits.IsDhrs;
        }

        var rfis = _memory.Control(_gFb + AhciBits.RfisOffset, 4);
        rfis[0] = 0x34;
        rfis[2] = (byte)AhciBits.TfdReady;
        _op = Op.None;
        _lastGuestActivity = _sim.Now;
        if ((_gIs & _gIe) != 0)
        {
            GuestInterrupt?.OnInterrupt();
        }

        Pump();
    }

    /// <summary>The guest's interrupt handler, to which completions are injected.</summary>
    public IInterruptSink? GuestInterrupt { get; set; }

    private static (long First, long Count) BlockRange(in DecodedCommand cmd)
    {
        if (cmd.Offset % GuestMemory.PageBytes != 0 || cmd.Bytes % GuestMemory.PageBytes != 0)
        {
            throw new AhciProtocolException($"the mediator tracks 4 KiB blocks; guest I/O at {cmd.Offset}+{cmd.Bytes} is not aligned");
        }

        return (cmd.Offset / GuestMemory.PageBytes, cmd.Bytes / GuestMemory.PageBytes);
    }

    // ---- prefetch of the recorded boot working set ----

    private void FetchNextPrefetch()
    {
        _server.Fetch(_nic, _options.Prefetch[_nextPrefetch].Length, this, TagPrefetch | (uint)_nextPrefetch);
    }

    private void PrefetchFetched(int index)
    {
        var (offset, length) = _options.Prefetch[index];
        _state.Cached.SetRange(offset / GuestMemory.PageBytes, length / GuestMemory.PageBytes);
        _nextPrefetch++;
        if (_nextPrefetch < _options.Prefetch.Count)
        {
            FetchNextPrefetch();
            return;
        }

        _prefetching = false;
        FillCopyPipeline();
        Pump();
    }

    // ---- background copy ----

    private void FillCopyPipeline()
    {
        while (_fetchesInFlight < _options.CopyOutstanding && _freeBuffers.Count > 0 && _nextFetchChunk < _state.Chunks)
        {
            var chunk = _nextFetchChunk++;
            var (first, count) = _state.ChunkRange(chunk);
            if (_state.GuestWritten.AllSet(first, count))
            {
                ChunkDone(); // the guest overwrote all of it: nothing to fetch
                continue;
            }

            var buffer = _freeBuffers.Pop();
            _fetchesInFlight++;
            _options.Real?.BeginFetch(buffer, first * GuestMemory.PageBytes, (int)(count * GuestMemory.PageBytes));
            _server.Fetch(_nic, count * GuestMemory.PageBytes, this, TagCopy | (chunk * 128) | (uint)buffer);
        }
    }

    private void CopyFetched(long value)
    {
        var chunk = value / 128;
        var buffer = (int)(value % 128);
        _fetchesInFlight--;
        _options.Real?.EndFetch(buffer);
        if (_memory.TracksContents)
        {
            var (first, count) = _state.ChunkRange(chunk);
            var pages = _memory.Pages(GuestMemory.VmmBuffer(buffer), (int)count);
            for (var i = 0; i < count; i++)
            {
                pages[i] = ImageServer.ImageTag(first + i);
            }
        }

        _buffered.Enqueue((chunk, buffer));
        FillCopyPipeline();
        Pump();
    }

    private void StartCopyWrite()
    {
        CopyWrites++;
        if (_gCi != 0 || _gSact != 0)
        {
            CopyWritesWhileGuestOutstanding++;
        }

        _copyChunk = _buffered.Dequeue();
        _copyRunNext = _state.ChunkRange(_copyChunk.Chunk).First;
        _op = Op.CopyWrite;
        if (!IssueNextCopyRun())
        {
            FinishCopyChunk();
        }
    }

    /// <summary>Writes the next run of the chunk that the guest has not written; false when none is left.</summary>
    private bool IssueNextCopyRun()
    {
        var (first, count) = _state.ChunkRange(_copyChunk.Chunk);
        var end = first + count;

        // Each chunk is written once, so within it "not yet copied" is every block the guest has not written.
        var b = _options.FaultCopyIgnoresGuestWrites ? _copyRunNext : _state.GuestWritten.Next(false, _copyRunNext, end);
        if (b == end)
        {
            return false;
        }

        var runEnd = _options.FaultCopyIgnoresGuestWrites ? end : _state.GuestWritten.Next(true, b, end);
        _copyRunNext = runEnd;
        var bytes = (int)((runEnd - b) * GuestMemory.PageBytes);
        var fis = new CommandFis(AtaCommand.WriteDmaExt, b * GuestMemory.PageBytes / AhciBits.SectorBytes, bytes / AhciBits.SectorBytes, 0);
        IssuePhysical(fis, GuestMemory.VmmBuffer(_copyChunk.Buffer) + ((b - first) * GuestMemory.PageBytes), bytes);
        _copyRunStart = b;
        return true;
    }

    private void CopyRunWritten()
    {
        _state.Copied.SetRange(_copyRunStart, _copyRunNext - _copyRunStart);
        if (!IssueNextCopyRun())
        {
            FinishCopyChunk();
        }
    }

    private void FinishCopyChunk()
    {
        _freeBuffers.Push(_copyChunk.Buffer);
        _op = Op.None;
        ChunkDone();
        FillCopyPipeline();
        Pump();
    }

    private void ChunkDone()
    {
        _chunksDone++;
        if (CopyComplete)
        {
            CopyCompleteTime = _sim.Now;
        }
    }
}
