using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Mediation;
using BareMetal.MediatorModel.Spec.Runtime;
using SpecCommand = BareMetal.MediatorModel.Spec.Runtime.DecodedCommand;

namespace BareMetal.MediatorModel.Simulation.Generated;

/// <summary>The adapter that plugs a spec-generated AHCI mediator (<see cref="IGeneratedMediator"/>,
/// compiled from <c>specs/ahci.mspec</c>) into the simulator in place of the hand-written
/// <see cref="AhciMediator"/>. The generated class owns everything device-specific: the guest-visible
/// register file and its access semantics, the decoding of the command header and H2D FIS at a PxCI
/// write, and the completion (PxCI/PxSACT, PxIS, IS, PxTFD, the D2H or set-device-bits FIS, PRDBC,
/// the interrupt line). The adapter keeps what the spec leaves to the host: the PRD walk (DMA stays in
/// the simulator), the redirect/copy/multiplex policy over <see cref="StreamingState"/>, time, and the
/// handoff. Its physical-side machinery follows the hand-written mediator's step for step (same
/// events, same costs), so the two can be compared trace for trace.</summary>
internal sealed class GeneratedAhciMediator : IStreamingMediator, IEventHandler, IFetchSink
{
    private const int EventPump = 1;
    private const int EventGuestComplete = 2;
    private const int EventCacheServed = 3;

    private const long TagRedirect = 1L << 48;
    private const long TagCopy = 2L << 48;
    private const long TagPrefetch = 3L << 48;
    private const long TagValueMask = (1L << 48) - 1;

    private const int PhysSlot = 0;

    /// <summary>The simulator models port 0 of the ABAR window.</summary>
    private const int Port = 0;

    private const int PortBase = 0x100;

    private const int OffsetGhc = 0x04;

    private const int OffsetIs = 0x08;

    /// <summary>GHC.AE | GHC.IE: what the guest OS's HBA-level init writes (the simulator's driver
    /// knows only the port registers, so the adapter plays that part of the guest).</summary>
    private const uint GhcAhciEnableInterruptEnable = 0x8000_0002;

    private readonly Simulator _sim;
    private readonly AhciHba _hba;
    private readonly GuestMemory _memory;
    private readonly ImageServer _server;
    private readonly Link _nic;
    private readonly StreamingState _state;
    private readonly MediatorOptions _options;
    private readonly IGeneratedMediator _device;
    private readonly Queue<(GuestCommand Command, long Ready)> _pending = new();
    private readonly Queue<(long Chunk, int Buffer)> _buffered = new();
    private readonly Stack<int> _freeBuffers = new();
    private readonly int _mergeBuffer;

    private Op _op;
    private GuestCommand _guestCmd;
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

    /// <param name="device">A fresh generated AHCI mediator over <paramref name="memory"/>'s control
    /// area (see <see cref="GuestMemoryView"/>); <see cref="Create"/> builds the shipped one.</param>
    public GeneratedAhciMediator(Simulator sim, AhciHba hba, GuestMemory memory, ImageServer server, Link nic, StreamingState state, MediatorOptions options, IGeneratedMediator device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _sim = sim;
        _hba = hba;
        _memory = memory;
        _server = server;
        _nic = nic;
        _state = state;
        _options = options;
        _device = device;
        for (var i = options.CopyOutstanding; i >= 0; i--)
        {
            _freeBuffers.Push(i);
        }

        _mergeBuffer = options.CopyOutstanding + 1;
        _device.CommandDecoded += OnCommandDecoded;
        _device.InterruptRaised += OnGuestInterruptLine;
        _device.WriteRegister(OffsetGhc, 4, GhcAhciEnableInterruptEnable);

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

    /// <summary>The mediator compiled from <c>specs/ahci.mspec</c> (checked in as
    /// <c>Generated/AhciMediator.g.cs</c>) wrapped for the simulator.</summary>
    public static GeneratedAhciMediator Create(Simulator sim, AhciHba hba, GuestMemory memory, ImageServer server, Link nic, StreamingState state, MediatorOptions options) =>
        new(sim, hba, memory, server, nic, state, options, new MediatorModel.Generated.AhciMediator(new GuestMemoryView(memory)));

    /// <summary>The generated mediator (for traces: its state machines, its safe point).</summary>
    public IGeneratedMediator Device => _device;

    public bool Devirtualized { get; private set; }

    public bool CopyComplete => _chunksDone == _state.Chunks;

    public long CopyCompleteTime { get; private set; } = -1;

    public SafePointRecord? SafePoint { get; private set; }

    public Action? OnDevirtualized { get; set; }

    public IInterruptSink? GuestInterrupt { get; set; }

    public long Exits { get; private set; }

    public long Redirected { get; private set; }

    public long CacheServed { get; private set; }

    public long HeldCommands { get; private set; }

    /// <summary>The spec's safe point (PxCI = PxSACT = 0) and the host's: nothing held, nothing on the
    /// device, no fetch in flight.</summary>
    public bool AtSafePoint =>
        _device.AtSafePoint && _pending.Count == 0 && _op == Op.None && !_hba.Busy && _fetchesInFlight == 0 && !_prefetching;

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
        return unchecked((uint)_device.ReadRegister(PortBase + (int)register, 4));
    }

    public void Write(AhciReg register, uint value)
    {
        EnsureIntercepting();
        Exits++;
        _device.WriteRegister(PortBase + (int)register, 4, value);
        switch (register)
        {
            case AhciReg.PxIs:
                // The rest of the guest's interrupt handler: once the port's status is acknowledged,
                // clear the port's bit in the HBA-wide IS (the simulator's driver knows only ports).
                if ((Peek(AhciReg.PxIs) & Peek(AhciReg.PxIe)) == 0)
                {
                    _device.WriteRegister(OffsetIs, 4, 1u << Port);
                }

                break;
            case AhciReg.PxCi:
                // Every PxCI write is a trapped doorbell: the commands it issued were queued by
                // OnCommandDecoded; they are acted on once the exit has been paid.
                _lastGuestActivity = _sim.Now;
                _sim.After(_options.ExitNs, this, EventPump);
                break;
            default:
                break;
        }
    }

    public void OnInterrupt()
    {
        var status = _hba.Read(AhciReg.PxIs);
        _hba.Write(AhciReg.PxIs, status);
        if ((_hba.Read(AhciReg.PxCi) & (1u << PhysSlot)) != 0)
        {
            return;
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

    /// <summary>Hands the port back once the host's and the spec's conditions hold
    /// (<see cref="IGeneratedMediator.CanDevirtualize"/>: safe point and no interrupt pending in IS).</summary>
    public void Devirtualize()
    {
        if (!AtSafePoint || !CopyComplete || !_device.CanDevirtualize)
        {
            throw new InvalidOperationException("de-virtualization outside a safe point");
        }

        SafePoint = new SafePointRecord(_sim.Now, Peek(AhciReg.PxCi), Peek(AhciReg.PxSact), _pending.Count, _hba.Busy, _fetchesInFlight, CopyComplete);
        _hba.Write(AhciReg.PxIs, uint.MaxValue);
        _hba.Write(AhciReg.PxClb, Peek(AhciReg.PxClb));
        _hba.Write(AhciReg.PxFb, Peek(AhciReg.PxFb));
        _hba.Write(AhciReg.PxIe, Peek(AhciReg.PxIe));
        _hba.Write(AhciReg.PxCmd, Peek(AhciReg.PxCmd));
        Devirtualized = true;
        OnDevirtualized?.Invoke();
    }

    /// <summary>A guest-visible port register without the side effects or exit of a guest access
    /// (none of the port registers the adapter peeks is read-to-clear).</summary>
    private uint Peek(AhciReg register) => unchecked((uint)_device.ReadRegister(PortBase + (int)register, 4));

    private void EnsureIntercepting()
    {
        if (Devirtualized)
        {
            throw new InvalidOperationException("guest access reached the mediator after de-virtualization");
        }
    }

    private void OnGuestInterruptLine(object? sender, EventArgs e) => GuestInterrupt?.OnInterrupt();

    /// <summary>One command the generated mediator decoded at a PxCI write: the adapter walks its PRDs
    /// and queues it; the spec's decode gives the kind, LBA, count and NCQ tag.</summary>
    private void OnCommandDecoded(object? sender, SpecCommand command)
    {
        _pending.Enqueue((ToGuestCommand(command), _sim.Now + _options.ExitNs));
        if (_op != Op.None)
        {
            HeldCommands++;
        }
    }

    private GuestCommand ToGuestCommand(SpecCommand c)
    {
        var slot = (int)c.Item;
        var fisCommand = (c.Kind, c.Queued) switch
        {
            (CommandKind.Read, true) => AtaCommand.ReadFpdmaQueued,
            (CommandKind.Write, true) => AtaCommand.WriteFpdmaQueued,
            (CommandKind.Read, false) => AtaCommand.ReadDmaExt,
            (CommandKind.Write, false) => AtaCommand.WriteDmaExt,
            (CommandKind.Flush, _) => AtaCommand.FlushCacheExt,
            (CommandKind.Identify, _) => AtaCommand.Identify,
            _ => throw new AhciProtocolException($"slot {slot}: unsupported ATA command 0x{c.Opcode:X2} ({c.Name})"),
        };
        var readOrWrite = c.Kind is CommandKind.Read or CommandKind.Write;
        var sectors = readOrWrite ? (int)Math.Min(c.Count, int.MaxValue / AhciBits.SectorBytes) : 0;
        var fis = new CommandFis(fisCommand, (long)(c.Lba & ((1UL << 48) - 1)), sectors, (int)c.Tag);

        // The spec's 'let fis' is the command table's address; its PRDs follow at 0x80.
        var table = c.Captures[1];
        var header = c.Captures[0];
        var prdtl = (int)(ReadU32(header) >> 16);
        if (prdtl > CommandTable.MaxPrds)
        {
            throw new AhciProtocolException($"slot {slot}: PRDTL {prdtl} exceeds {CommandTable.MaxPrds}");
        }

        long buffer = 0, bytes = 0;
        for (var i = 0; i < prdtl; i++)
        {
            var prd = table + AhciBits.PrdtOffset + ((ulong)i * AhciBits.PrdBytes);
            var dba = ReadU32(prd) | ((long)ReadU32(prd + 4) << 32);
            var count = (ReadU32(prd + 12) & 0x3F_FFFF) + 1L;
            if (i == 0)
            {
                buffer = dba;
            }
            else if (dba != buffer + bytes)
            {
                throw new AhciProtocolException($"slot {slot}: scattered PRDs are not modelled");
            }

            bytes += count;
        }

        var expected = (long)sectors * AhciBits.SectorBytes;
        if (readOrWrite && bytes != expected)
        {
            throw new AhciProtocolException($"slot {slot}: PRDs describe {bytes} bytes, the FIS asks for {expected}");
        }

        return new GuestCommand(c, new Ahci.DecodedCommand(slot, fis, buffer, expected));
    }

    private uint ReadU32(ulong address)
    {
        if (address > GuestMemory.ControlBytes - 4)
        {
            throw new AhciProtocolException($"control access 0x{address:X}+4 outside control memory");
        }

        return _memory.ReadUInt32((uint)address);
    }

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

        if (_device.CanMultiplex && _buffered.Count > 0 && CopyAllowed())
        {
            StartCopyWrite();
            return;
        }

        if (CopyComplete && AtSafePoint && _device.CanDevirtualize)
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

    private void StartGuest(GuestCommand guest)
    {
        _guestCmd = guest;
        var cmd = guest.Physical;
        var kind = guest.Spec.Kind;
        if (kind is not (CommandKind.Read or CommandKind.Write))
        {
            PassThrough(cmd);
            return;
        }

        var (first, count) = BlockRange(cmd);
        if (kind == CommandKind.Write)
        {
            _state.GuestWritten.SetRange(first, count);
            PassThrough(cmd);
            return;
        }

        _guestReads++;
        if (_state.AllLocal(first, count) || !_device.ShouldRedirect(kind))
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
            _server.Fetch(_nic, cmd.Bytes, this, TagRedirect);
        }
    }

    private void PassThrough(in Ahci.DecodedCommand cmd)
    {
        _op = Op.GuestPassThrough;
        IssuePhysical(cmd.Fis, cmd.Buffer, (int)cmd.Bytes);
    }

    private void IssuePhysical(CommandFis fis, long buffer, int bytes)
    {
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
        var cmd = _guestCmd.Physical;
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

        var cmd = _guestCmd.Physical;
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

    /// <summary>The spec's completion does the guest-visible part (PxCI/PxSACT, FIS, PxIS, IS, PxTFD)
    /// and raises the interrupt line, which <see cref="OnGuestInterruptLine"/> injects.</summary>
    private void CompleteToGuest()
    {
        _op = Op.None;
        _lastGuestActivity = _sim.Now;
        _device.Complete(_guestCmd.Spec);
        Pump();
    }

    private static (long First, long Count) BlockRange(in Ahci.DecodedCommand cmd)
    {
        if (cmd.Offset % GuestMemory.PageBytes != 0 || cmd.Bytes % GuestMemory.PageBytes != 0)
        {
            throw new AhciProtocolException($"the mediator tracks 4 KiB blocks; guest I/O at {cmd.Offset}+{cmd.Bytes} is not aligned");
        }

        return (cmd.Offset / GuestMemory.PageBytes, cmd.Bytes / GuestMemory.PageBytes);
    }

    // ---- prefetch of the recorded boot working set (as in the hand-written mediator) ----

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

    // ---- background copy (as in the hand-written mediator) ----

    private void FillCopyPipeline()
    {
        while (_fetchesInFlight < _options.CopyOutstanding && _freeBuffers.Count > 0 && _nextFetchChunk < _state.Chunks)
        {
            var chunk = _nextFetchChunk++;
            var (first, count) = _state.ChunkRange(chunk);
            if (_state.GuestWritten.AllSet(first, count))
            {
                ChunkDone();
                continue;
            }

            var buffer = _freeBuffers.Pop();
            _fetchesInFlight++;
            _server.Fetch(_nic, count * GuestMemory.PageBytes, this, TagCopy | (chunk * 128) | (uint)buffer);
        }
    }

    private void CopyFetched(long value)
    {
        var chunk = value / 128;
        var buffer = (int)(value % 128);
        _fetchesInFlight--;
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
        _copyChunk = _buffered.Dequeue();
        _copyRunNext = _state.ChunkRange(_copyChunk.Chunk).First;
        _op = Op.CopyWrite;
        if (!IssueNextCopyRun())
        {
            FinishCopyChunk();
        }
    }

    private bool IssueNextCopyRun()
    {
        var (first, count) = _state.ChunkRange(_copyChunk.Chunk);
        var end = first + count;
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

    /// <summary>A guest command: the spec's decoded view (handed back to Complete) and the physical
    /// one the simulator's HBA runs (FIS, buffer from the PRDs, bytes).</summary>
    private readonly record struct GuestCommand(SpecCommand Spec, Ahci.DecodedCommand Physical);
}
