using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;

namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>The physical AHCI HBA with one SATA disk on port 0. Issued slots run one at a time in
/// issue order (a disk has one head); on completion the HBA moves the data by DMA, clears the slot's
/// PxCI (and PxSACT) bit, posts the D2H or Set Device Bits FIS and raises PxIS, interrupting if
/// PxIE allows.</summary>
internal sealed class AhciHba : IAhciPort, IEventHandler
{
    private const int EventDone = 1;

    private readonly Simulator _sim;
    private readonly DiskModel _disk;
    private readonly GuestMemory _memory;
    private readonly Queue<int> _issued = new();
    private DecodedCommand _current;
    private bool _busy;
    private uint _clb, _fb, _is, _ie, _cmd, _sact, _ci;

    /// <param name="blocks">Disk contents, one tag per 4 KiB block; null when not tracked.</param>
    public AhciHba(Simulator sim, DiskModel disk, GuestMemory memory, long[]? blocks)
    {
        _sim = sim;
        _disk = disk;
        _memory = memory;
        Blocks = blocks;
    }

    public long[]? Blocks { get; }

    /// <summary>Called as each write reaches the disk (offset, bytes, buffer address): real-network
    /// mode mirrors the model's disk into a file this way.</summary>
    public Action<long, long, long>? DiskWritten { get; set; }

    public IInterruptSink? Interrupts { get; set; }

    /// <summary>Register accesses seen, for the trap counts in the summary.</summary>
    public long Accesses { get; private set; }

    public long BytesRead { get; private set; }

    public long BytesWritten { get; private set; }

    public long BusyNs { get; private set; }

    public bool Busy => _busy || _issued.Count > 0;

    public uint Read(AhciReg register)
    {
        Accesses++;
        return register switch
        {
            AhciReg.PxClb => _clb,
            AhciReg.PxFb => _fb,
            AhciReg.PxIs => _is,
            AhciReg.PxIe => _ie,
            AhciReg.PxCmd => AhciBits.CmdAsRead(_cmd),
            AhciReg.PxTfd => Busy ? AhciBits.TfdBusy : AhciBits.TfdReady,
            AhciReg.PxSact => _sact,
            AhciReg.PxCi => _ci,
            _ => 0,
        };
    }

    public void Write(AhciReg register, uint value)
    {
        Accesses++;
        switch (register)
        {
            case AhciReg.PxClb:
                _clb = value;
                break;
            case AhciReg.PxFb:
                _fb = value;
                break;
            case AhciReg.PxIs:
                _is &= ~value; // write 1 to clear
                break;
            case AhciReg.PxIe:
                _ie = value;
                break;
            case AhciReg.PxCmd:
                _cmd = value;
                break;
            case AhciReg.PxSact:
                _sact |= value; // software can only set SACT bits; the device clears them
                break;
            case AhciReg.PxCi:
                Issue(value & ~_ci);
                break;
            default:
                break;
        }
    }

    public void OnEvent(int kind, long arg)
    {
        if (kind == EventDone)
        {
            Complete();
        }
    }

    private void Issue(uint newSlots)
    {
        if (newSlots != 0 && (_cmd & AhciBits.CmdSt) == 0)
        {
            throw new AhciProtocolException("PxCI written while PxCMD.ST is clear");
        }

        _ci |= newSlots;
        for (var slot = 0; slot < AhciBits.Slots; slot++)
        {
            if ((newSlots & (1u << slot)) != 0)
            {
                _issued.Enqueue(slot);
            }
        }

        StartNext();
    }

    private void StartNext()
    {
        if (_busy || _issued.Count == 0)
        {
            return;
        }

        _current = CommandTable.Fetch(_memory, _clb, _issued.Dequeue());
        _busy = true;
        var duration = _current.Fis.IsReadOrWrite ? _disk.Access(_current.Fis.IsWrite, _current.Offset, _current.Bytes) : 0;
        BusyNs += duration;
        _sim.After(duration, this, EventDone);
    }

    private void Complete()
    {
        var c = _current;
        if (c.Fis.IsReadOrWrite)
        {
            MoveData(c);
            if (c.Fis.IsWrite)
            {
                DiskWritten?.Invoke(c.Offset, c.Bytes, c.Buffer);
                BytesWritten += c.Bytes;
            }
            else
            {
                BytesRead += c.Bytes;
            }
        }

        var bit = 1u << c.Slot;
        _ci &= ~bit;
        if (c.Fis.IsQueued)
        {
            _sact &= ~bit;
            _is |= AhciBits.IsSdbs;
        }
        else
        {
            _is |= AhciBits.IsDhrs;
        }

        // D2H Register FIS (type 0x34) with status DRDY, so a driver reading the RFIS sees success.
        var rfis = _memory.Control(_fb + AhciBits.RfisOffset, 4);
        rfis[0] = 0x34;
        rfis[2] = (byte)AhciBits.TfdReady;
        _busy = false;
        StartNext();
        if ((_is & _ie) != 0)
        {
            Interrupts?.OnInterrupt();
        }
    }

    private void MoveData(in DecodedCommand c)
    {
        if (Blocks is null || !_memory.TracksContents)
        {
            return;
        }

        if (c.Offset % GuestMemory.PageBytes != 0 || c.Bytes % GuestMemory.PageBytes != 0)
        {
            throw new AhciProtocolException($"content tracking needs 4 KiB-aligned I/O: offset {c.Offset}, {c.Bytes} bytes");
        }

        var first = c.Offset / GuestMemory.PageBytes;
        var count = (int)(c.Bytes / GuestMemory.PageBytes);
        if (first + count > Blocks.Length)
        {
            throw new AhciProtocolException($"I/O beyond the end of the disk: block {first}+{count}");
        }

        var disk = Blocks.AsSpan((int)first, count);
        var mem = _memory.Pages(c.Buffer, count);
        if (c.Fis.IsWrite)
        {
            mem.CopyTo(disk);
        }
        else
        {
            disk.CopyTo(mem);
        }
    }
}
