using System.Buffers.Binary;
using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Generated;

namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>A legacy IDE guest driver with SFF-8038i bus-master DMA over the generated mediator, one
/// command at a time: PRD table (one entry, EOT) at BMIDTP, LBA48 task file written high byte first,
/// READ/WRITE DMA EXT to the command register, then the bus master started. Its interrupt handler reads
/// STATUS (acknowledging INTRQ), clears BMISTA.INTR and stops the bus master.</summary>
internal sealed class IdeGuest : BlockGuest
{
    private const int SecCount = 0x02, LbaLow = 0x03, LbaMid = 0x04, LbaHigh = 0x05, Device = 0x06, Status = 0x07, Command = 0x07;
    private const int BmiCom = 0x10, BmiSta = 0x12, BmiDtp = 0x14;
    private const uint PrdTable = 0x1000;

    private bool _busy;

    public IdeGuest(Simulator sim, GuestMemory memory, GeneratedBlockHost host, int seed, long blocks, int requests)
        : base(sim, memory, host, seed, blocks, requests, maxBlocks: 16)
    {
    }

    public bool Done => Issued == Requests && Outstanding == 0;

    public override void Start() => Sim.After(Think(), this, 0);

    public override void OnEvent(int kind, long arg) => Next();

    public override void OnInterrupt()
    {
        var status = Host.Read(Status, 1);
        if ((status & 0x81) != 0)
        {
            Problems.Add($"t={Sim.Now}: STATUS 0x{status:X2} after the interrupt (BSY or ERR)");
        }

        var bm = Host.Read(BmiSta, 1);
        Host.Write(BmiSta, 1, bm & 0x06);
        Host.Write(BmiCom, 1, 0);
        _busy = false;
        Finish(0);
        Sim.After(Think(), this, 0);
    }

    private void Next()
    {
        if (_busy || Issued == Requests)
        {
            return;
        }

        var r = NewRequest(0)!;
        _busy = true;
        var prd = Memory.Control(PrdTable, 8);
        var bytes = r.Count * GuestMemory.PageBytes;
        BinaryPrimitives.WriteUInt32LittleEndian(prd, (uint)GuestMemory.GuestBuffer(0));
        BinaryPrimitives.WriteUInt16LittleEndian(prd[4..], (ushort)(bytes & 0xFFFF));
        BinaryPrimitives.WriteUInt16LittleEndian(prd[6..], 0x8000);
        Host.Write(BmiDtp, 4, PrdTable);

        var lba = (ulong)r.First * 8;
        var sectors = (ulong)r.Count * 8;
        Host.Write(Device, 1, 0x40);
        Host.Write(SecCount, 1, (sectors >> 8) & 0xFF);
        Host.Write(SecCount, 1, sectors & 0xFF);
        Host.Write(LbaLow, 1, (lba >> 24) & 0xFF);
        Host.Write(LbaLow, 1, lba & 0xFF);
        Host.Write(LbaMid, 1, (lba >> 32) & 0xFF);
        Host.Write(LbaMid, 1, (lba >> 8) & 0xFF);
        Host.Write(LbaHigh, 1, (lba >> 40) & 0xFF);
        Host.Write(LbaHigh, 1, (lba >> 16) & 0xFF);
        Host.Write(Command, 1, r.Write ? 0x35u : 0x25u);

        // Bit 3: the bus master writes memory (a device read).
        Host.Write(BmiCom, 1, (r.Write ? 0u : 0x08u) | 1);
    }
}
