using BareMetal.MediatorModel.Simulation.Ahci;

namespace BareMetal.MediatorModel.Simulation.Guest;

/// <summary>The guest OS's AHCI driver, written against the register interface only, so it cannot
/// tell whether it talks to the HBA or to the mediator. It builds a command header and table per
/// slot in its own memory, sets PxSACT (NCQ) and PxCI, and in its interrupt handler acknowledges
/// PxIS and completes every slot whose PxCI/PxSACT bit the device has cleared.</summary>
internal sealed class AhciGuestDriver : IBlockDevice, IInterruptSink
{
    private readonly GuestMemory _memory;
    private readonly bool _ncq;
    private readonly BlockRequest[] _slots = new BlockRequest[AhciBits.Slots];
    private readonly Queue<BlockRequest> _waiting = new();
    private uint _outstanding;

    public AhciGuestDriver(IAhciPort port, GuestMemory memory, bool ncq)
    {
        Port = port;
        _memory = memory;
        _ncq = ncq;
        port.Write(AhciReg.PxClb, GuestMemory.GuestClb);
        port.Write(AhciReg.PxFb, GuestMemory.GuestFb);
        port.Write(AhciReg.PxIe, AhciBits.IsDhrs | AhciBits.IsSdbs);
        port.Write(AhciReg.PxCmd, AhciBits.CmdSt | AhciBits.CmdFre);
    }

    /// <summary>The port the driver's MMIO reaches: the mediator while virtualized, then the HBA.</summary>
    public IAhciPort Port { get; set; }

    public IBlockClient? Client { get; set; }

    public int Outstanding => System.Numerics.BitOperations.PopCount(_outstanding);

    public void Submit(in BlockRequest request)
    {
        if (request.Length <= 0 || request.Length > AhciBits.MaxCommandBytes || request.Length % AhciBits.SectorBytes != 0)
        {
            throw new ArgumentException($"request length {request.Length} is not 1..4 MiB of whole sectors", nameof(request));
        }

        if (_outstanding == uint.MaxValue)
        {
            _waiting.Enqueue(request);
            return;
        }

        var slot = System.Numerics.BitOperations.TrailingZeroCount(~_outstanding);
        _slots[slot] = request;
        _outstanding |= 1u << slot;
        var buffer = GuestMemory.GuestBuffer(slot);
        if (request.Write && _memory.TracksContents)
        {
            var pages = _memory.Pages(buffer, request.Length / GuestMemory.PageBytes);
            for (var i = 0; i < pages.Length; i++)
            {
                pages[i] = request.FirstTag - i;
            }
        }

        var command = (_ncq, request.Write) switch
        {
            (true, true) => AtaCommand.WriteFpdmaQueued,
            (true, false) => AtaCommand.ReadFpdmaQueued,
            (false, true) => AtaCommand.WriteDmaExt,
            (false, false) => AtaCommand.ReadDmaExt,
        };
        var fis = new CommandFis(command, request.Offset / AhciBits.SectorBytes, request.Length / AhciBits.SectorBytes, slot);
        CommandTable.Build(_memory, GuestMemory.GuestClb, GuestMemory.GuestTables, slot, fis, buffer, request.Length);
        if (_ncq)
        {
            Port.Write(AhciReg.PxSact, 1u << slot);
        }

        Port.Write(AhciReg.PxCi, 1u << slot);
    }

    public void OnInterrupt()
    {
        var status = Port.Read(AhciReg.PxIs);
        Port.Write(AhciReg.PxIs, status);
        var busy = Port.Read(AhciReg.PxCi) | (_ncq ? Port.Read(AhciReg.PxSact) : 0);
        var done = _outstanding & ~busy;

        // Completed slots are reported in request-id order: the order they were issued in.
        Span<int> order = stackalloc int[AhciBits.Slots];
        var n = 0;
        for (var slot = 0; slot < AhciBits.Slots; slot++)
        {
            if ((done & (1u << slot)) != 0)
            {
                order[n++] = slot;
            }
        }

        var slots = order[..n];
        for (var i = 1; i < slots.Length; i++)
        {
            for (var j = i; j > 0 && _slots[slots[j]].Id < _slots[slots[j - 1]].Id; j--)
            {
                (slots[j], slots[j - 1]) = (slots[j - 1], slots[j]);
            }
        }

        foreach (var slot in slots)
        {
            var request = _slots[slot];
            var data = !request.Write && _memory.TracksContents
                ? _memory.Pages(GuestMemory.GuestBuffer(slot), request.Length / GuestMemory.PageBytes)
                : [];
            Client?.OnComplete(request, data);
            _outstanding &= ~(1u << slot); // freed only now: the callback may submit, and must not take this buffer
        }

        while (_waiting.Count > 0 && _outstanding != uint.MaxValue)
        {
            Submit(_waiting.Dequeue());
        }
    }
}
