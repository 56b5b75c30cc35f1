using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;

namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>A guest AHCI driver that issues a seeded random command stream through <see cref="IAhciPort"/>
/// and writes down everything it observes: every register value it reads, every interrupt, every
/// completion with the data tags of what it read, each with the simulated time. Commands: READ/WRITE
/// FPDMA QUEUED and READ/WRITE DMA EXT at random 4 KiB-aligned ranges, FLUSH CACHE EXT and IDENTIFY,
/// in random free slots, one or several per PxCI write; random register reads in between. It never
/// issues a command that overlaps an outstanding write (or a write over an outstanding read), so the
/// data every read must return is known exactly (<see cref="Stale"/>).</summary>
internal sealed class RandomAhciGuest : IInterruptSink, IEventHandler
{
    private static readonly AhciReg[] Registers =
        [AhciReg.PxClb, AhciReg.PxFb, AhciReg.PxIs, AhciReg.PxIe, AhciReg.PxCmd, AhciReg.PxTfd, AhciReg.PxSact, AhciReg.PxCi];

    private readonly Simulator _sim;
    private readonly GuestMemory _memory;
    private readonly Random _rng;
    private readonly long _blocks;
    private readonly int _actions;
    private readonly Request?[] _slots = new Request?[AhciBits.Slots];
    private long _version;
    private int _done;

    public RandomAhciGuest(Simulator sim, GuestMemory memory, IAhciPort port, int seed, long blocks, int actions)
    {
        _sim = sim;
        _memory = memory;
        _rng = new Random(seed);
        _blocks = blocks;
        _actions = actions;
        Port = port;
        Expected = new long[blocks];
        for (var b = 0; b < blocks; b++)
        {
            Expected[b] = ImageServer.ImageTag(b);
        }
    }

    public IAhciPort Port { get; set; }

    public List<string> Trace { get; } = [];

    /// <summary>What each block must hold: the image, or the guest's last write.</summary>
    public long[] Expected { get; }

    public int Issued { get; private set; }

    public int Completed { get; private set; }

    public int Stale { get; private set; }

    public int Outstanding => _slots.Count(s => s is not null);

    public void Start()
    {
        Port.Write(AhciReg.PxClb, GuestMemory.GuestClb);
        Port.Write(AhciReg.PxFb, GuestMemory.GuestFb);
        Port.Write(AhciReg.PxIe, AhciBits.IsDhrs | AhciBits.IsSdbs);
        Port.Write(AhciReg.PxCmd, AhciBits.CmdSt | AhciBits.CmdFre);
        Observe(AhciReg.PxCmd);
        Observe(AhciReg.PxTfd);
        _sim.After(Delay(), this, 0);
    }

    public void OnEvent(int kind, long arg)
    {
        var op = _rng.Next(100);
        if (op < 45)
        {
            Submit(1);
        }
        else if (op < 60)
        {
            Submit(2 + _rng.Next(4));
        }
        else
        {
            Observe(Registers[_rng.Next(Registers.Length)]);
        }

        if (++_done < _actions)
        {
            _sim.After(Delay(), this, 0);
        }
    }

    public void OnInterrupt()
    {
        Trace.Add(FormattableString.Invariant($"{_sim.Now} irq"));
        var status = Observe(AhciReg.PxIs);
        Port.Write(AhciReg.PxIs, status);
        var busy = Observe(AhciReg.PxCi) | Observe(AhciReg.PxSact);
        for (var slot = 0; slot < AhciBits.Slots; slot++)
        {
            if (_slots[slot] is { } r && (busy & (1u << slot)) == 0)
            {
                Finish(slot, r);
            }
        }
    }

    private long Delay() => _rng.Next(4) == 0 ? 0 : _rng.Next(1, 3_000_000);

    private uint Observe(AhciReg register)
    {
        var value = Port.Read(register);
        Trace.Add(FormattableString.Invariant($"{_sim.Now} read {register} = 0x{value:X8}"));
        return value;
    }

    private void Submit(int wanted)
    {
        uint ci = 0, sact = 0;
        for (var n = 0; n < wanted; n++)
        {
            var free = Enumerable.Range(0, AhciBits.Slots).Where(s => _slots[s] is null && (ci & (1u << s)) == 0).ToList();
            if (free.Count == 0)
            {
                break;
            }

            var slot = free[_rng.Next(free.Count)];
            var kind = _rng.Next(20);
            var command = kind switch
            {
                < 6 => AtaCommand.ReadFpdmaQueued,
                < 11 => AtaCommand.WriteFpdmaQueued,
                < 15 => AtaCommand.ReadDmaExt,
                < 18 => AtaCommand.WriteDmaExt,
                18 => AtaCommand.FlushCacheExt,
                _ => AtaCommand.Identify,
            };
            var rw = command is not (AtaCommand.FlushCacheExt or AtaCommand.Identify);
            var write = command is AtaCommand.WriteFpdmaQueued or AtaCommand.WriteDmaExt;
            long first = 0, count = 0;
            if (rw)
            {
                // Mostly small, sometimes past 255 sectors (where an 8-bit count would wrap).
                count = Math.Min(_blocks, _rng.Next(10) == 0 ? 32 + _rng.Next(33) : 1 + _rng.Next(8));
                first = _rng.NextInt64(_blocks - count + 1);
                if (Conflicts(first, count, write))
                {
                    continue;
                }
            }

            var buffer = GuestMemory.GuestBuffer(slot);
            var request = new Request(command, first, count, ++_version);
            if (write)
            {
                var pages = _memory.Pages(buffer, (int)count);
                for (var i = 0; i < count; i++)
                {
                    pages[i] = -((request.Version << 8) + i);
                }
            }

            var sectors = (int)(count * GuestMemory.PageBytes / AhciBits.SectorBytes);
            CommandTable.Build(_memory, GuestMemory.GuestClb, GuestMemory.GuestTables, slot, new CommandFis(command, first * 8, sectors, slot), buffer, (int)(count * GuestMemory.PageBytes));
            _slots[slot] = request;
            ci |= 1u << slot;
            if (command is AtaCommand.ReadFpdmaQueued or AtaCommand.WriteFpdmaQueued)
            {
                sact |= 1u << slot;
            }

            Issued++;
            Trace.Add(FormattableString.Invariant($"{_sim.Now} issue slot {slot} {command} {first}+{count}"));
        }

        if (ci == 0)
        {
            return;
        }

        if (sact != 0)
        {
            Port.Write(AhciReg.PxSact, sact);
        }

        Port.Write(AhciReg.PxCi, ci);
    }

    private bool Conflicts(long first, long count, bool write)
    {
        foreach (var r in _slots)
        {
            if (r is { Count: > 0 } o && (write || o.Write) && first < o.First + o.Count && o.First < first + count)
            {
                return true;
            }
        }

        return false;
    }

    private void Finish(int slot, Request r)
    {
        _slots[slot] = null;
        Completed++;
        var pages = _memory.Pages(GuestMemory.GuestBuffer(slot), (int)r.Count);
        if (r.Write)
        {
            for (var i = 0; i < r.Count; i++)
            {
                Expected[r.First + i] = pages[i];
            }
        }
        else if (r.Count > 0)
        {
            for (var i = 0; i < r.Count; i++)
            {
                if (pages[i] != Expected[r.First + i])
                {
                    Stale++;
                }
            }
        }

        Trace.Add(FormattableString.Invariant($"{_sim.Now} done slot {slot} {r.Command} {r.First}+{r.Count} data {string.Join(',', pages.ToArray())}"));
    }

    private sealed record Request(AtaCommand Command, long First, long Count, long Version)
    {
        public bool Write => Command is AtaCommand.WriteFpdmaQueued or AtaCommand.WriteDmaExt;
    }
}
